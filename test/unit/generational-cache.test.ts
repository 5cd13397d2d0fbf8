import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { GenerationalCache, KEY_OVERHEAD } from '../../src/server/generational-cache.js';
import { lookupCache, lookupCacheEntries, type LookupCache } from '../../src/server/log/chain-bundles.js';

describe('GenerationalCache', () => {
  it('keeps what was used recently and drops what was not, within its capacity', () => {
    const cache = new GenerationalCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2); // the young generation is full: a and b age
    expect(cache.get('a')).toBe(1); // used again: young once more
    cache.set('c', 3); // full again: a and c age, b (unused) is dropped
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('answers the newest value of a key that was set again', () => {
    const cache = new GenerationalCache<string, number>(4);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    expect(cache.get('a')).toBe(10);
  });

  it('set if there is room, fills the young generation and refuses what would age it', () => {
    const cache = new GenerationalCache<string, number>(6);
    expect(['a', 'b', 'c'].map((key, at) => cache.setIfRoom(key, at))).toEqual([true, true, false]);
    expect(['a', 'b', 'c'].map((key) => cache.get(key))).toEqual([0, 1, undefined]);
  });

  it('never holds more than its capacity', () => {
    const cache = new GenerationalCache<number, number>(100);
    for (let i = 0; i < 1000; i++) cache.set(i, i);
    const held = Array.from({ length: 1000 }, (_, i) => cache.get(i)).filter((v) => v !== undefined);
    expect(held.length).toBeLessThanOrEqual(100);
    expect(cache.get(999)).toBe(999);
  });
});

describe('GenerationalCache bounded by bytes', () => {
  const sized = (bytes: number, entries = 1000) => new GenerationalCache<string, string>({ entries, bytes }, (value) => value.length);

  it('never holds more bytes than its capacity, whatever the sizes of what comes', () => {
    const cache = sized(10_000);
    for (let i = 0; i < 500; i++) {
      cache.set(`k${i % 40}`, 'x'.repeat((i * 397) % 4000));
      expect(cache.bytes).toBeLessThanOrEqual(10_000);
    }
    // The newest value is always held when it fits.
    cache.set('last', 'y'.repeat(3000));
    expect(cache.get('last')).toBe('y'.repeat(3000));
  });

  it('charges an entry the same when it leaves the young generation as when it came in, after aging and a hit', () => {
    const cache = sized(2 * (3 * (100 + KEY_OVERHEAD)));
    cache.set('a', 'x'.repeat(100));
    cache.set('b', 'x'.repeat(100));
    cache.set('c', 'x'.repeat(100)); // the young generation is full: a, b and c age
    expect(cache.get('a')).toBe('x'.repeat(100)); // copied into the young generation, charged there too
    expect(cache.bytes).toBe(4 * (100 + KEY_OVERHEAD));
    cache.set('a', 'y'.repeat(50)); // replaced in the young generation: its old charge leaves with it
    expect(cache.bytes).toBe(3 * (100 + KEY_OVERHEAD) + 50 + KEY_OVERHEAD);
    cache.set('a', 'z'.repeat(5000)); // too large to keep: dropped from both generations, and their charges with it
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(2 * (100 + KEY_OVERHEAD));
  });

  it('charges each entry its size and KEY_OVERHEAD, and a key set again in the young generation once', () => {
    const cache = sized(100_000);
    cache.set('a', 'x'.repeat(1000));
    expect(cache.bytes).toBe(1000 + KEY_OVERHEAD);
    cache.set('a', 'x'.repeat(2000));
    expect(cache.bytes).toBe(2000 + KEY_OVERHEAD);
    expect(cache.size).toBe(1);
  });

  it('keeps no value larger than half its bytes, and then serves no older value of that key', () => {
    const cache = sized(1000);
    cache.set('a', 'small');
    cache.set('a', 'x'.repeat(600));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('set if there is room, refuses a value whose bytes would age the young generation', () => {
    // Each generation holds 2 * KEY_OVERHEAD + 300 bytes.
    const cache = new GenerationalCache<string, number>({ entries: 100, bytes: 2 * (2 * KEY_OVERHEAD + 300) }, (value) => value);
    expect(cache.setIfRoom('a', 150)).toBe(true);
    expect(cache.setIfRoom('b', 200)).toBe(false);
    expect(cache.setIfRoom('c', 100)).toBe(true);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([150, undefined, 100]);
  });

  it('ages the young generation when the next value would pass its half', () => {
    const cache = sized(2 * (400 + KEY_OVERHEAD) + 10);
    cache.set('a', 'x'.repeat(400));
    cache.set('b', 'x'.repeat(400)); // no room beside a: a ages, b is young
    expect(cache.get('b')).toBe('x'.repeat(400));
    cache.set('c', 'x'.repeat(400)); // b ages, a (old and unused) is dropped
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe('x'.repeat(400));
  });
});

describe('GenerationalCache byte accounting', () => {
  // Each entry's charge is worked out again when it leaves (generational-cache.ts): a path that
  // subtracted a different charge than it added, or none, would leave `bytes` off until the
  // generation holding the error is dropped by aging. So whenever every key ever set is dropped
  // (set too large to keep, which drops it from both generations without aging), `bytes` must be 0.
  type Step = { op: 'set' | 'setIfRoom'; key: number; size: number } | { op: 'get' | 'drop'; key: number } | { op: 'age' } | { op: 'dropAll' };
  const step = (most: number): fc.Arbitrary<Step> =>
    fc.oneof(
      // Mostly small values, so that a generation holds several and keys are replaced in it; some up to the capacity, too large to keep.
      { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'setIfRoom' as const), key: fc.nat(7), size: fc.oneof(fc.nat(64), fc.nat(most)) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('get' as const, 'drop' as const), key: fc.nat(7) }) },
      { weight: 1, arbitrary: fc.constantFrom({ op: 'age' as const }, { op: 'dropAll' as const }) },
    );
  const run = fc
    .record({ entries: fc.integer({ min: 2, max: 12 }), bytes: fc.integer({ min: 2 * KEY_OVERHEAD, max: 4000 }) })
    .chain((capacity) => fc.tuple(fc.constant(capacity), fc.array(step(capacity.bytes), { maxLength: 200 })));

  it('charges back exactly what it charged: no drift after random set, setIfRoom, get, aging and drops', () => {
    fc.assert(
      fc.property(run, ([capacity, steps]) => {
        // A value is its own size: each entry is charged value + KEY_OVERHEAD.
        const cache = new GenerationalCache<string, number>(capacity, (value) => value);
        const tooLarge = capacity.bytes; // more than a generation's half: dropped from both
        const used = new Set<string>();
        let aged = 0;
        const dropAll = () => {
          for (const key of used) cache.set(key, tooLarge);
          expect({ bytes: cache.bytes, size: cache.size }).toEqual({ bytes: 0, size: 0 });
        };
        for (const s of steps) {
          if (s.op === 'age') {
            // Fills the young generation at least once.
            for (let i = 0; i < capacity.entries; i++) {
              const key = `aged${aged++}`;
              used.add(key);
              cache.set(key, 0);
            }
          } else if (s.op === 'dropAll') {
            dropAll();
          } else {
            const key = `k${s.key}`;
            used.add(key);
            if (s.op === 'set') cache.set(key, s.size);
            else if (s.op === 'setIfRoom') cache.setIfRoom(key, s.size);
            else if (s.op === 'get') cache.get(key);
            else cache.set(key, tooLarge);
          }
          // Every entry held is charged at least KEY_OVERHEAD, and never more than the capacity in all.
          expect(cache.bytes).toBeGreaterThanOrEqual(cache.size * KEY_OVERHEAD);
          expect(cache.bytes).toBeLessThanOrEqual(capacity.bytes);
        }
        dropAll();
      }),
      { numRuns: 300 },
    );
  });
});

describe('the lookup cache', () => {
  it('holds at most its bytes of lookup pages, however many come', () => {
    const cache = lookupCache(200_000);
    for (let i = 0; i < 1000; i++) {
      cache.set(`groups ${i} 0`, { headIndex: i, bytes: Buffer.alloc(10_000), prefixLength: 10_000 });
      expect(cache.bytes).toBeLessThanOrEqual(200_000);
    }
    expect(cache.get('groups 999 0')?.headIndex).toBe(999);
  });

  it('holds as many pages as its bytes hold, not a fixed count (once 50,000, half of 100,000 identities)', () => {
    const bytes = 256 * 1024 * 1024;
    const cache = lookupCache(bytes);
    // Views of one Buffer: each page is charged its 1,000 bytes without a test that allocates 60 MB.
    const shared = Buffer.alloc(1000);
    for (let i = 0; i < 60_000; i++) cache.set(`identities ${i} 0`, { headIndex: i, bytes: shared.subarray(0, 1000), prefixLength: 1000 });
    const missing = Array.from({ length: 60_000 }, (_, i) => i).filter((i) => cache.get(`identities ${i} 0`)?.headIndex !== i);
    expect(missing.length).toBe(0);
    expect(cache.bytes).toBeLessThanOrEqual(bytes);
    expect(lookupCacheEntries(bytes)).toBe(bytes / KEY_OVERHEAD);
  });

  it('keeps its count under what a Map holds, however many bytes it is given', () => {
    expect(lookupCacheEntries(2 ** 40)).toBe(2 ** 24);
  });

  it('charges a page its bytes', () => {
    const cache = lookupCache(1_000_000);
    cache.set('groups a 0', { headIndex: 1, bytes: Buffer.from('\u20ac'.repeat(1000)), prefixLength: 3000 });
    expect(cache.bytes).toBeGreaterThanOrEqual(3000);
  });

  it('charges a page what it holds: its bytes, and the note and ETag of an answer, not a bound on every page', () => {
    const cache = lookupCache(1_000_000);
    const page: Parameters<LookupCache['set']>[1] = { headIndex: 1, bytes: Buffer.alloc(1000), prefixLength: 1000 };
    cache.set('groups a 0', page);
    expect(cache.bytes).toBe(1000 + KEY_OVERHEAD);
    cache.set('groups a 0', { ...page, bytes: Buffer.alloc(2000), note: 'n'.repeat(200), etag: 'e'.repeat(30), tree: '1 x -', noteAt: 1300, mapAt: 1500 });
    expect(cache.bytes).toBe(2000 + 200 + 30 + KEY_OVERHEAD);
  });
});
