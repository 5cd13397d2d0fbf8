// The registry's log as C2SP tlog-tiles (DESIGN.md §5.3): hash tiles and entry bundles made from
// the stored log, checked against the entries API and the signed checkpoint; what the tree does
// not hold (yet), and what is not a tile path, is 404, never a fault.
import { describe, expect, it, beforeAll } from '@jest/globals';
import { parseCheckpointText, parseSignedNote } from '../../src/protocol/checkpoint.js';
import { logLeafBytes } from '../../src/protocol/log-entry.js';
import { appendToFrontier, frontier, leafHash, rangeHash, rootFromFrontier, verifyConsistency } from '../../src/protocol/merkle.js';
import { FollowerFeed } from '../../src/mirror/follower-feed.js';
import type { FetchedEntry } from '../../src/mirror/registry-feed.js';
import { startTamperingProxy } from '../helpers/tampering-proxy.js';
import { tileKey, tileLookup, tilesForSubtrees } from '../../src/protocol/tile-proofs.js';
import { decodeEntryBundle, decodeHashTile, formatTilePath, perfectRoot, type TileId } from '../../src/protocol/tiles.js';
import type { GroupMember } from '../../src/protocol/group.js';
import { groupMember } from '../../src/sdk/group-records.js';
import { generateBoxKeyPair } from '../../src/sdk/keys.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { foundGroup, registeredPerson } from '../helpers/groups.js';
import { newIdentity, quickSigningKeyPair } from '../helpers/identities.js';
import { plantIdentityGeneses } from '../helpers/planted-log.js';
import { request, type Reply } from '../helpers/http.js';
import { strongEtag } from '../../src/server/http/caching.js';
import { useTestRegistry } from '../helpers/registry.js';

const registry = useTestRegistry({ listen: true });
/** 260 identities, then a group record too long for an entry bundle (index 260). */
const SIZE = 261;

const get = (tile: TileId) => registry.api.get(`/v1/log/${formatTilePath(tile)}`);

async function checkpoint(): Promise<{ size: number; root: Uint8Array }> {
  const note = (await registry.api.get('/v1/log/checkpoint')).text;
  return parseCheckpointText(parseSignedNote(note)!.text)!;
}

/** Every leaf, as the entries API shows them. */
async function apiLeaves(): Promise<Uint8Array[]> {
  const leaves: Uint8Array[] = [];
  for (let start: number | undefined = 0; start !== undefined; ) {
    const page: Reply = await registry.api.get(`/v1/log/entries?start=${start}&limit=1000`);
    for (const entry of page.body.entries as Array<{ acceptedAt: string; record: object }>) leaves.push(logLeafBytes(entry.acceptedAt, entry.record));
    start = page.body.next;
  }
  return leaves;
}

beforeAll(async () => {
  // Records whose signatures do not verify (the tiles do not look at them): a big log made fast.
  await plantIdentityGeneses(registry, (await newIdentity({ quickKeys: true })).head, 259);
  const founder = await registeredPerson(registry.app, 'founder'); // index 259
  // 420 members of about 160 bytes each: a leaf over the 65,535 bytes an entry bundle can carry.
  const keys = { publicKey: quickSigningKeyPair().publicKey, publicBoxKey: generateBoxKeyPair().publicKey };
  const members: GroupMember[] = Array.from({ length: 420 }, () => groupMember({ userId: newPeersId(), ...keys }, 'reader'));
  const group = await registry.api.post('/v1/groups', await foundGroup(founder, 'a large group', members));
  expect(group.status).toBe(201);
  expect(group.body.index).toBe(260);
}, 120_000);

describe('hash tiles', () => {
  it('hold the leaf hashes of the entries, and the tree above them', async () => {
    const leaves = await apiLeaves();
    const full = await get({ level: 0, index: 0, width: 256 });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(decodeHashTile(full.bytes, 256)).toEqual(leaves.slice(0, 256).map(leafHash));

    const partial = await get({ level: 0, index: 1, width: 5 });
    expect(partial.status).toBe(200);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=60');
    expect(decodeHashTile(partial.bytes, 5)).toEqual(leaves.slice(256, 261).map(leafHash));
    // A narrower partial tile is a prefix of the wider one.
    expect((await get({ level: 0, index: 1, width: 2 })).bytes).toEqual(partial.bytes.subarray(0, 64));

    const up = await get({ level: 1, index: 0, width: 1 });
    expect(up.status).toBe(200);
    expect(decodeHashTile(up.bytes, 1)).toEqual([perfectRoot(decodeHashTile(full.bytes, 256)!, 0, 256)]);

    // The signed root, from tiles alone.
    const { size, root } = await checkpoint();
    expect(size).toBe(SIZE);
    const tiles = new Map<string, Uint8Array[]>();
    for (const tile of tilesForSubtrees(frontier(size), size)) tiles.set(tileKey(tile.level as number, tile.index), decodeHashTile((await get(tile)).bytes, tile.width)!);
    expect(rangeHash([0, size], tileLookup(tiles))).toEqual(root);
  });
});

describe('entry bundles', () => {
  it('hold the leaf bytes, each with a big-endian uint16 length', async () => {
    const leaves = await apiLeaves();
    const full = await get({ level: 'entries', index: 0, width: 256 });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(decodeEntryBundle(full.bytes, 256)).toEqual(leaves.slice(0, 256));
    expect(full.bytes.readUInt16BE(0)).toBe(leaves[0]!.length);

    // Compressed for a client that takes gzip (this one does, and inflates it), as they are without.
    expect(full.headers.get('content-encoding')).toBe('gzip');
    expect(full.headers.get('vary')).toMatch(/Accept-Encoding/);
    const plain = await registry.api.get('/v1/log/tile/entries/000', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.bytes).toEqual(full.bytes);
    // Its strong ETag is of the bytes it gets, as Express gives any body; HEAD and a revalidation
    // carry it too (the bundle's length and ETag are kept with it: test/unit/tile-reader.test.ts).
    const etag = plain.headers.get('etag');
    expect(etag).toBe(strongEtag(full.bytes));
    expect(full.headers.get('etag')).not.toBe(etag);
    const identity = { 'accept-encoding': 'identity' };
    const head = await request(registry.app, 'HEAD', '/v1/log/tile/entries/000', undefined, identity);
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(head.headers.get('content-length')).toBe(String(full.bytes.length));
    expect(head.headers.get('content-type')).toBe('application/octet-stream');
    expect(head.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(head.headers.get('vary')).toMatch(/Accept-Encoding/);
    expect(head.headers.get('content-encoding')).toBeNull();
    expect(head.bytes.length).toBe(0);
    for (const method of ['GET', 'HEAD']) {
      const revalidated = await request(registry.app, method, '/v1/log/tile/entries/000', undefined, { ...identity, 'if-none-match': etag! });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get('etag')).toBe(etag);
      expect(revalidated.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(revalidated.headers.get('content-type')).toBeNull();
      expect(revalidated.headers.get('content-length')).toBeNull();
      expect(revalidated.bytes.length).toBe(0);
    }
    const raw = await fetch(`${registry.url}/v1/log/tile/entries/000`, { headers: { 'accept-encoding': 'gzip' } });
    expect(Number(raw.headers.get('content-length'))).toBeLessThan(full.bytes.length);

    const partial = await get({ level: 'entries', index: 1, width: 4 });
    expect(partial.status).toBe(200);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=60');
    expect(decodeEntryBundle(partial.bytes, 4)).toEqual(leaves.slice(256, 260));
  });

  it('are 404 where an entry is too long for one: read those from /v1/log/entries', async () => {
    const leaves = await apiLeaves();
    expect(leaves[260]!.length).toBeGreaterThan(0xffff);
    const reply = await get({ level: 'entries', index: 1, width: 5 });
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('NOT_FOUND');
    expect(reply.body.detail).toContain('/v1/log/entries');
    // Its hash is in the hash tiles as any other.
    expect(decodeHashTile((await get({ level: 0, index: 1, width: 5 })).bytes, 5)![4]).toEqual(leafHash(leaves[260]!));
  });
});

describe('what is not a tile of this tree', () => {
  it.each([
    ['a full tile the tree has not filled', '/v1/log/tile/0/001'],
    ['a partial tile wider than the tree', '/v1/log/tile/0/001.p/6'],
    ['a level the tree has not reached', '/v1/log/tile/2/000.p/1'],
    ['a tile past the tree', '/v1/log/tile/0/x001/000'],
    ['a bundle past the tree', '/v1/log/tile/entries/002.p/1'],
    ['an index without its zeros', '/v1/log/tile/0/1'],
    ['a level out of range', '/v1/log/tile/64/000'],
    ['a level that is not a number', '/v1/log/tile/x/000'],
    ['a width of 256', '/v1/log/tile/0/000.p/256'],
    ['a width of 0', '/v1/log/tile/0/000.p/0'],
    ['an encoded path', '/v1/log/tile/0/%30%30%30'],
    ['dot segments', '/v1/log/tile/0/%2e%2e/000'],
    ['a huge index', `/v1/log/tile/0/${'x999/'.repeat(40)}999`],
    ['no index', '/v1/log/tile/entries/'],
  ])('%s is 404', async (_what, path) => {
    const reply = await registry.api.get(path);
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('NOT_FOUND');
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('becomes a tile once the tree holds it', async () => {
    expect((await get({ level: 0, index: 1, width: 7 })).status).toBe(404);
    expect((await registry.api.post('/v1/users', (await newIdentity({ quickKeys: true })).head)).status).toBe(201);
    expect((await get({ level: 0, index: 1, width: 6 })).status).toBe(200);
    expect((await get({ level: 0, index: 1, width: 7 })).status).toBe(404);
  });
});

describe('a follower reading the log through tiles', () => {
  it('reads every entry, bundle by bundle, each verified against the checkpoint; a bundle the server lacks from /v1/log/entries', async () => {
    const leaves = await apiLeaves();
    const feed = new FollowerFeed({ url: registry.url, vkey: registry.service.logKey.vkey });
    const { size } = await feed.checkpoint();
    expect(feed.tilePrefix).toBe(`${registry.url}/v1/log`);
    const read: FetchedEntry[] = [];
    for await (const page of feed.pages(0, size)) read.push(...page);
    expect(read.map((e) => e.index)).toEqual(Array.from({ length: size }, (_, i) => i));
    expect(read.map((e) => logLeafBytes(e.acceptedAt, e.record))).toEqual(leaves);
    const middle: FetchedEntry[] = [];
    for await (const page of feed.pages(250, 258)) middle.push(...page);
    expect(middle.map((e) => e.index)).toEqual([250, 251, 252, 253, 254, 255, 256, 257]);
  });

  it('computes consistency proofs from the tiles', async () => {
    const leaves = await apiLeaves();
    const feed = new FollowerFeed({ url: registry.url, vkey: registry.service.logKey.vkey });
    const { size, root } = await feed.checkpoint();
    for (const from of [1, 100, 256, 257]) {
      const old = rootFromFrontier(appendToFrontier([], leaves.slice(0, from).map(leafHash)).frontier);
      expect(verifyConsistency(from, size, await feed.consistencyProof(from, size), old, root)).toBe(true);
    }
  });

  it.each([
    ['an entry bundle', '/v1/log/tile/entries/000'],
    ['a hash tile the next bundle is checked with', '/v1/log/tile/1/000.p/1'],
  ])('refuses %s that is not the signed log', async (_what, tampered) => {
    const proxy = await startTamperingProxy(registry.url);
    proxy.tamper = ({ path, body }) => {
      if (path !== tampered) return body;
      const bytes = Buffer.from(body as Buffer);
      bytes[bytes.length - 3]! ^= 1;
      return bytes;
    };
    try {
      const feed = new FollowerFeed({ url: proxy.url, vkey: registry.service.logKey.vkey });
      const { size } = await feed.checkpoint();
      const reading = (async () => {
        for await (const page of feed.pages(0, size)) void page;
      })();
      await expect(reading).rejects.toMatchObject({ name: 'VerificationError', code: 'BAD_INCLUSION_PROOF' });
    } finally {
      await proxy.close();
    }
  });
});
