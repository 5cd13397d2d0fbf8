import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { PEERS_ID_PATTERN, isPeersId, newPeersId } from '../../src/protocol/ids.js';

describe('newPeersId', () => {
  it('makes 25 characters of [0-9a-z]', () => {
    for (let i = 0; i < 200; i++) {
      const id = newPeersId();
      expect(id).toMatch(/^[0-9a-z]{25}$/);
      expect(isPeersId(id)).toBe(true);
    }
  });

  it('starts with the time in base36, zero-padded to 10 characters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 36 ** 10 - 1 }), (now) => {
        const id = newPeersId(now);
        expect(id).toHaveLength(25);
        expect(parseInt(id.slice(0, 10), 36)).toBe(now);
      }),
    );
    expect(newPeersId(0).slice(0, 10)).toBe('0000000000');
    expect(newPeersId(35).slice(0, 10)).toBe('000000000z');
    expect(newPeersId(36 ** 10 - 1).slice(0, 10)).toBe('zzzzzzzzzz');
    // 2026-11-24T21:00:00.000Z
    expect(newPeersId(Date.UTC(2026, 10, 24, 21)).slice(0, 10)).toBe(Date.UTC(2026, 10, 24, 21).toString(36).padStart(10, '0'));
    expect(newPeersId(Date.UTC(2026, 10, 24, 21)).slice(0, 10)).toBe('00mwv6hpc0');
  });

  it('defaults to the current time', () => {
    const before = Date.now();
    const time = parseInt(newPeersId().slice(0, 10), 36);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it('sorts ids made at different times by time', () => {
    expect(newPeersId(1000) < newPeersId(1001)).toBe(true);
    expect(newPeersId(35) < newPeersId(36)).toBe(true);
  });

  it('draws the 15 random characters from all of [0-9a-z], roughly evenly', () => {
    const counts = new Map<string, number>();
    const ids = 2000;
    for (let i = 0; i < ids; i++) {
      for (const c of newPeersId(0).slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(36);
    // 30 000 characters, 833 expected per character; the bounds are ~10 standard deviations wide.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(550);
      expect(count).toBeLessThan(1150);
    }
  });

  it('does not favour 0-3, as byte % 36 without rejection sampling would', () => {
    // 256 = 7 * 36 + 4: a plain modulo makes '0'-'3' 8/7 as likely as the rest (ratio 1.14).
    // With 60 000 characters the ratio's standard deviation is ~0.0125: 1.07 is >5 sigma from both.
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      for (const c of newPeersId(0).slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const mean = (chars: string) => [...chars].reduce((sum, c) => sum + (counts.get(c) ?? 0), 0) / chars.length;
    expect(mean('0123') / mean('456789abcdefghijklmnopqrstuvwxyz')).toBeLessThan(1.07);
  });

  it('does not repeat itself', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(newPeersId(0));
    expect(seen.size).toBe(2000);
  });
});

describe('isPeersId', () => {
  it('accepts exactly 25 characters of [0-9a-z]', () => {
    expect(isPeersId('0123456789abcdefghijklmno')).toBe(true);
    expect(isPeersId('zzzzzzzzzzzzzzzzzzzzzzzzz')).toBe(true);
  });

  it('rejects uppercase letters', () => {
    expect(isPeersId('0123456789Abcdefghijklmno')).toBe(false);
    expect(isPeersId(newPeersId().toUpperCase())).toBe(false);
  });

  it('rejects 24 and 26 characters, and the empty string', () => {
    expect(isPeersId('0123456789abcdefghijklmn')).toBe(false);
    expect(isPeersId('0123456789abcdefghijklmnop')).toBe(false);
    expect(isPeersId('')).toBe(false);
  });

  it('rejects other characters, including a trailing newline', () => {
    for (const text of ['0123456789abcdefghijklmn-', '0123456789abcdefghijklmn_', '0123456789abcdefghijklmn ', '0123456789abcdefghijklmné', '0123456789abcdefghijklmno\n']) {
      expect(isPeersId(text)).toBe(false);
    }
  });

  it('agrees with a character-by-character check on random strings', () => {
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
    const chars = fc.constantFrom(...(alphabet + 'AZ-_ .\n\u00e9').split(''));
    fc.assert(
      fc.property(fc.array(chars, { minLength: 23, maxLength: 27 }), (list) => {
        const text = list.join('');
        const expected = text.length === 25 && [...text].every((c) => alphabet.includes(c));
        expect(isPeersId(text)).toBe(expected);
        expect(PEERS_ID_PATTERN.test(text)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
