import { describe, expect, it } from '@jest/globals';
import { Coalescer } from '../../src/server/coalescer.js';

describe('Coalescer', () => {
  it('answers concurrent requests with one fetch per round, each from a fetch started after it asked', async () => {
    let version = 0;
    const rounds: Array<{ keys: number[]; startedAt: number }> = [];
    const coalescer = new Coalescer<number, number>(async (keys) => {
      const startedAt = ++version;
      rounds.push({ keys, startedAt });
      await new Promise((r) => setTimeout(r, 10));
      return new Map(keys.map((k) => [k, startedAt * 1000 + k]));
    });
    const first = coalescer.get(1); // starts round 1 at once
    const asked = version; // round 1 has started
    const later = [coalescer.get(2), coalescer.get(3), coalescer.get(2)]; // wait for round 2
    expect(await first).toBe(1001);
    const answers = await Promise.all(later);
    expect(answers).toEqual([2002, 2003, 2002]);
    expect(rounds.map((r) => r.keys)).toEqual([[1], [2, 3]]);
    expect(rounds[1]!.startedAt).toBeGreaterThan(asked);
  });

  it('rejects a round’s requests when its fetch fails, and recovers for the next', async () => {
    let fail = true;
    const coalescer = new Coalescer<string, string>(async (keys) => {
      if (fail) {
        fail = false;
        throw new Error('database away');
      }
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    await expect(coalescer.get('a')).rejects.toThrow('database away');
    expect(await coalescer.get('b')).toBe('B');
  });
});
