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

  it('stops holding a level that passes its bound, and only that level', () => {
    const cache = new SubtreeCache(8);
    for (let i = 0; i < 8; i++) cache.set({ level: 0, index: i }, hash(i));
    cache.set({ level: 1, index: 3 }, hash(3));
    cache.set({ level: 0, index: 8 }, hash(8));
    expect(cache.get({ level: 0, index: 0 })).toBeUndefined();
    expect(cache.get({ level: 0, index: 8 })).toBeUndefined();
    expect(cache.get({ level: 1, index: 3 })).toEqual(hash(3));
  });
});
