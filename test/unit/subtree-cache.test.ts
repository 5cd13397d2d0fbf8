import { describe, expect, it } from '@jest/globals';
import { SubtreeCache } from '../../src/db/subtree-cache.js';

const hash = (n: number) => new Uint8Array(32).fill(n % 256);

describe('SubtreeCache', () => {
  it('holds what it was given, at any index, and nothing else', () => {
    const cache = new SubtreeCache();
    cache.set({ level: 0, index: 5 }, hash(5));
    cache.set({ level: 3, index: 100_000 }, hash(7)); // grows the level to fit
    expect(cache.get({ level: 0, index: 5 })).toEqual(hash(5));
    expect(cache.get({ level: 3, index: 100_000 })).toEqual(hash(7));
    expect(cache.get({ level: 0, index: 4 })).toBeUndefined();
    expect(cache.get({ level: 0, index: 1_000_000 })).toBeUndefined();
    expect(cache.get({ level: 1, index: 5 })).toBeUndefined();
  });

  it('keeps its own copy: changing the array it was given changes nothing', () => {
    const cache = new SubtreeCache();
    const given = hash(1);
    cache.set({ level: 0, index: 0 }, given);
    given.fill(9);
    expect(cache.get({ level: 0, index: 0 })).toEqual(hash(1));
  });

  it('keeps what it held when a level grows', () => {
    const cache = new SubtreeCache();
    for (let i = 0; i < 5000; i++) cache.set({ level: 0, index: i }, hash(i));
    for (let i = 0; i < 5000; i++) expect(cache.get({ level: 0, index: i })).toEqual(hash(i));
  });

  // A level starts with 1024 slots of 33 bytes (a hash and a flag) and doubles as it grows.
  const LEVEL = 1024 * 33;

  it('stays within its bytes: a growth that does not fit drops the lowest level held, for good', () => {
    const cache = new SubtreeCache(3 * LEVEL);
    for (const level of [0, 1, 2]) cache.set({ level, index: 0 }, hash(level));
    expect(cache.bytes).toBe(3 * LEVEL);
    // Level 0 would double; it is itself the lowest level held, so it goes.
    cache.set({ level: 0, index: 1024 }, hash(9));
    expect(cache.get({ level: 0, index: 0 })).toBeUndefined();
    expect(cache.get({ level: 0, index: 1024 })).toBeUndefined();
    cache.set({ level: 0, index: 1 }, hash(1));
    expect(cache.get({ level: 0, index: 1 })).toBeUndefined();
    expect(cache.bytes).toBe(2 * LEVEL);
    // Level 1 doubles into the room level 0 left.
    cache.set({ level: 1, index: 1024 }, hash(4));
    expect(cache.bytes).toBe(3 * LEVEL);
    // A new level 3 does not fit: level 1, now the lowest, goes, and levels 2 and 3 stay.
    cache.set({ level: 3, index: 0 }, hash(3));
    expect(cache.get({ level: 1, index: 0 })).toBeUndefined();
    expect(cache.get({ level: 2, index: 0 })).toEqual(hash(2));
    expect(cache.get({ level: 3, index: 0 })).toEqual(hash(3));
    expect(cache.bytes).toBe(2 * LEVEL);
  });

  it('never holds more bytes than its bound, however the log grows', () => {
    const bound = 10 * LEVEL;
    const cache = new SubtreeCache(bound);
    for (let i = 0; i < 20_000; i++) {
      // The subtrees an append completes: level l gets index i >> l when i's low l bits are ones.
      for (let level = 0; level <= 14 && (i + 1) % 2 ** level === 0; level++) cache.set({ level, index: ((i + 1) >> level) - 1 }, hash(i));
      expect(cache.bytes).toBeLessThanOrEqual(bound);
    }
    // The highest levels are what stays.
    expect(cache.get({ level: 14, index: 0 })).toEqual(hash(2 ** 14 - 1));
  });
});
