// The tile reader's entry bundles, and the tiles route that serves them, against a fake database
// (the rows log_entries would hold): the bytes served, gzipped or not, are checked against the
// protocol's own encoder of the leaves' canonical bytes, built apart from the reader.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import type { SubtreeStore } from '../../src/db/subtree-store.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { logLeafBytes } from '../../src/protocol/log-entry.js';
import { encodeEntryBundle, formatTilePath, TILE_WIDTH, type TileId } from '../../src/protocol/tiles.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { errorHandler } from '../../src/server/http/problem.js';
import type { RateLimiters } from '../../src/server/http/rate-limits.js';
import { encodeTextBundle, TileReader } from '../../src/server/log/tile-reader.js';
import { tilesRouter } from '../../src/server/routes/tiles.js';
import { request } from '../helpers/http.js';

interface Row {
  ms: number;
  record: string;
}

const msOf = (i: number) => 1_700_000_000_000 + i;
/** Entry `i` as stored: its record's canonical JSON (these records' JSON.stringify). */
const row = (i: number, record: object): Row => ({ ms: msOf(i), record: JSON.stringify(record) });
/** The leaf of a row, made apart from the reader (DESIGN.md §5): JCS({ acceptedAt, record }) as UTF-8. */
const leafOf = (r: Row) => logLeafBytes(formatTimestamp(r.ms), JSON.parse(r.record) as object);

/** A log of one full tile whose entries compress well: its bundle is about 270 kB, gzipped a few kB. */
const compressible = (): Row[] => Array.from({ length: TILE_WIDTH }, (_, i) => row(i, { n: i, pad: 'a'.repeat(1000) }));

/** A record whose leaf is exactly `bytes` long in UTF-8, mostly of 2-byte characters: far fewer characters than bytes. */
function recordOfLeafBytes(i: number, bytes: number): object {
  const rest = bytes - logLeafBytes(formatTimestamp(msOf(i)), { n: i, pad: '' }).length;
  return { n: i, pad: 'é'.repeat(Math.floor(rest / 2)) + 'a'.repeat(rest % 2) };
}

/** The database, as readLeafRun asks it (log_entries by index). */
function fakeLog(rows: Row[]) {
  let queries = 0;
  const db = {
    async query<T>(_text: string, params?: unknown[]): Promise<T[]> {
      queries++;
      const [first, end] = params as [number, number];
      return rows.slice(first, end) as T[];
    },
  };
  return { db, queries: () => queries };
}

/** The bundle of `rows`, made apart from the reader: each leaf's canonical bytes, through the protocol's encoder. */
const expectedBundle = (rows: Row[]) => Buffer.from(encodeEntryBundle(rows.map(leafOf)));

const readerOf = (rows: Row[], cacheBytes = 1 << 20) => new TileReader(fakeLog(rows).db, {} as SubtreeStore, async () => rows.length, cacheBytes);

const FULL: TileId = { level: 'entries', index: 0, width: TILE_WIDTH };
const PATH = `/v1/log/${formatTilePath(FULL)}`;

/**
 * The tiles route over a reader whose tiles count their inflates (the route's only way to the
 * uncompressed bytes), in an app set as app.ts sets it; and, on /reference, the bundle's bytes as
 * Express sends any body, for the headers a client that refuses gzip got before bundles were kept gzipped.
 */
function serve(rows: Row[]) {
  const reader = readerOf(rows);
  let inflates = 0;
  const counting = {
    async read(tile: TileId) {
      const read = await reader.read(tile);
      return {
        ...read,
        body: () => {
          inflates++;
          return read.body();
        },
      };
    },
  } as unknown as TileReader;
  const app = express();
  app.set('etag', 'strong');
  app.get('/reference', (_req, res) => void res.type('application/octet-stream').send(expectedBundle(rows)));
  app.use(tilesRouter(counting, { ipReads: [] } as unknown as RateLimiters));
  app.use(errorHandler(pino({ level: 'silent' })));
  return { app, inflates: () => inflates };
}

const IDENTITY = { 'accept-encoding': 'identity' };
const headersOf = (reply: { status: number; headers: Headers }) =>
  Object.fromEntries(['content-type', 'content-length', 'etag'].map((name) => [name, reply.headers.get(name)]).concat([['status', String(reply.status)]]));

describe('TileReader', () => {
  it('keeps an entry bundle gzipped only: a cache too small for its uncompressed bytes still holds it (issue 19)', async () => {
    const rows = compressible();
    const log = fakeLog(rows);
    // 64 kB: each generation of the cache holds 32 kB, far less than the bundle's uncompressed bytes.
    const reader = new TileReader(log.db, {} as SubtreeStore, async () => TILE_WIDTH, 64 * 1024);
    const first = await reader.read(FULL);
    const expected = expectedBundle(rows);
    expect(expected.length).toBeGreaterThan(64 * 1024);
    expect(await first.body()).toEqual(expected);
    expect(first.bundle).toMatchObject({ length: expected.length });
    // The cached bytes own their memory: the cache counts no more than it holds (not a view on zlib's chunk or a pool slab).
    const gzipped = first.bundle!.gzipped;
    expect(gzipped.length).toBeLessThan(32 * 1024);
    expect(gzipped.byteOffset).toBe(0);
    expect(gzipped.buffer.byteLength).toBe(gzipped.length);
    const again = await reader.read(FULL);
    expect(log.queries()).toBe(1);
    expect(again.bundle).toBe(first.bundle);
    expect(await again.body()).toEqual(expected);
  });

  it("serves non-ASCII entries as their UTF-8, up to an entry of exactly 65,535 bytes", async () => {
    const rows = [row(0, { name: 'Zoë 🔑', note: 'naïve — 鍵' }), row(1, { n: 1 }), row(2, recordOfLeafBytes(2, 65_535)), row(3, { n: 3 })];
    expect(leafOf(rows[2]!).length).toBe(65_535);
    const tile = await readerOf(rows).read({ level: 'entries', index: 0, width: rows.length });
    expect(await tile.body()).toEqual(expectedBundle(rows));
  });

  it('is NOT_FOUND for a bundle with an entry over 65,535 bytes, though under 65,536 characters', async () => {
    const rows = [row(0, { n: 0 }), row(1, recordOfLeafBytes(1, 65_536))];
    const long = leafOf(rows[1]!);
    expect(long.length).toBe(65_536);
    expect(new TextDecoder().decode(long).length).toBeLessThan(33_000);
    const reading = readerOf(rows).read({ level: 'entries', index: 0, width: 2 });
    await expect(reading).rejects.toBeInstanceOf(ProtocolError);
    await expect(reading).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("writes a bundle from its leaves' texts exactly as encodeEntryBundle writes their UTF-8 bytes", () => {
    const leaves = ['{}', '{"name":"Zoë 🔑"}', 'x'.repeat(65_535), ''];
    const lengths = leaves.map((leaf) => Buffer.byteLength(leaf));
    expect(encodeTextBundle(leaves, lengths)).toEqual(Buffer.from(encodeEntryBundle(leaves.map((leaf) => new TextEncoder().encode(leaf)))));
  });

  it.each([
    ['character counts (the first leaf spills into the second, which is cut short: the bundle still comes out full)', ['{"name":"Zoë"}', '{}'], (leaf: string) => leaf.length],
    ['character counts (the last leaf is cut short)', ['{}', '"éa"'], (leaf: string) => leaf.length],
    ['lengths a byte too long (bytes left unwritten)', ['{"name":"Zoë"}', '{}'], (leaf: string) => Buffer.byteLength(leaf) + 1],
  ])("refuses lengths that are not the leaves' UTF-8 lengths: %s", (_what, leaves, lengthOf) => {
    expect(() => encodeTextBundle(leaves, leaves.map(lengthOf))).toThrow(/not its UTF-8 length/);
  });
});

describe('the tiles route', () => {
  const rows = [row(0, { name: 'Zoë 🔑' }), ...compressible().slice(1, -1), row(TILE_WIDTH - 1, { note: 'naïve — 鍵' })];

  it('sends a client that takes gzip the bundle gzipped, and one that does not its bytes, non-ASCII entries as their UTF-8', async () => {
    const { app, inflates } = serve(rows);
    const gzipped = await request(app, 'GET', PATH, undefined, { 'accept-encoding': 'gzip' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    // supertest inflates it.
    expect(gzipped.bytes).toEqual(expectedBundle(rows));
    expect(inflates()).toBe(0);
    const plain = await request(app, 'GET', PATH, undefined, IDENTITY);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.bytes).toEqual(expectedBundle(rows));
    expect(inflates()).toBe(1);
  });

  it('answers a client that refuses gzip with the headers Express gives the bytes, and a HEAD or a revalidation without an inflate', async () => {
    const { app, inflates } = serve(rows);
    const reference = await request(app, 'GET', '/reference');
    const etag = reference.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]+-/);

    const plain = await request(app, 'GET', PATH, undefined, IDENTITY);
    expect(headersOf(plain)).toEqual(headersOf(reference));
    expect(plain.headers.get('vary')).toMatch(/Accept-Encoding/);
    expect(inflates()).toBe(1);

    const head = await request(app, 'HEAD', PATH, undefined, IDENTITY);
    expect(headersOf(head)).toEqual(headersOf(await request(app, 'HEAD', '/reference')));
    expect(head.headers.get('content-length')).toBe(String(expectedBundle(rows).length));
    expect(head.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(head.bytes.length).toBe(0);

    for (const method of ['GET', 'HEAD']) {
      const revalidated = await request(app, method, PATH, undefined, { ...IDENTITY, 'if-none-match': etag });
      expect(revalidated.status).toBe(304);
      expect(headersOf(revalidated)).toEqual(headersOf(await request(app, method, '/reference', undefined, { 'if-none-match': etag })));
      expect(revalidated.headers.get('etag')).toBe(etag);
      expect(revalidated.bytes.length).toBe(0);
    }
    // Only the one GET with a body inflated the bundle.
    expect(inflates()).toBe(1);
    // An ETag that does not match is answered with the bytes.
    const stale = await request(app, 'GET', PATH, undefined, { ...IDENTITY, 'if-none-match': '"1-x"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes).toEqual(expectedBundle(rows));
    expect(inflates()).toBe(2);
  });

  it('is 404 NOT_FOUND for a bundle with an entry too long for one', async () => {
    const { app } = serve([row(0, recordOfLeafBytes(0, 65_536))]);
    const reply = await request(app, 'GET', '/v1/log/tile/entries/000.p/1', undefined, IDENTITY);
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('NOT_FOUND');
  });
});
