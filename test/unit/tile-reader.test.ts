import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import type { SubtreeStore } from '../../src/db/subtree-store.js';
import { encodeTextBundle, TileReader } from '../../src/server/log/tile-reader.js';
import { encodeEntryBundle, TILE_WIDTH } from '../../src/protocol/tiles.js';

/** A log of one full tile whose entries compress well: its bundle is about 270 kB, gzipped a few kB. */
function fakeLog() {
  let queries = 0;
  const rows = Array.from({ length: TILE_WIDTH }, (_, i) => ({ ms: 1_700_000_000_000 + i, record: JSON.stringify({ n: i, pad: 'a'.repeat(1000) }) }));
  const db = {
    async query<T>(_text: string, params?: unknown[]): Promise<T[]> {
      queries++;
      const [first, end] = params as [number, number];
      return rows.slice(first, end) as T[];
    },
  };
  return { db, queries: () => queries };
}

describe('TileReader', () => {
  it('keeps an entry bundle gzipped only: a cache too small for its uncompressed bytes still holds it (issue 19)', async () => {
    const log = fakeLog();
    // 64 kB: each generation of the cache holds 32 kB, far less than the bundle's uncompressed bytes.
    const reader = new TileReader(log.db, {} as SubtreeStore, async () => TILE_WIDTH, 64 * 1024);
    const first = await reader.read({ level: 'entries', index: 0, width: TILE_WIDTH });
    const bytes = await first.bytes();
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    expect(gunzipSync(first.gzipped!)).toEqual(bytes);
    const again = await reader.read({ level: 'entries', index: 0, width: TILE_WIDTH });
    expect(log.queries()).toBe(1);
    expect(again.gzipped).toBe(first.gzipped);
    // Inflated for a client that refuses gzip: the bytes of the bundle, as encoded.
    expect(await again.bytes()).toEqual(bytes);
  });

  it("writes a bundle from its leaves' texts exactly as encodeEntryBundle writes their UTF-8 bytes", () => {
    const leaves = ['{}', '{"name":"Zoë 🔑"}', 'x'.repeat(65_535), ''];
    const lengths = leaves.map((leaf) => Buffer.byteLength(leaf));
    expect(encodeTextBundle(leaves, lengths)).toEqual(Buffer.from(encodeEntryBundle(leaves.map((leaf) => new TextEncoder().encode(leaf)))));
  });
});
