import { describe, expect, it } from '@jest/globals';
import { GenerationalCache } from '../../src/server/generational-cache.js';

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

  it('never holds more than its capacity', () => {
    const cache = new GenerationalCache<number, number>(100);
    for (let i = 0; i < 1000; i++) cache.set(i, i);
    const held = Array.from({ length: 1000 }, (_, i) => cache.get(i)).filter((v) => v !== undefined);
    expect(held.length).toBeLessThanOrEqual(100);
    expect(cache.get(999)).toBe(999);
  });
});
