// C2SP tlog-tiles: paths both ways, tile and bundle bytes against a published log (Tessera's test
// data, test/vectors/tiles/README.md), and tiles at every level against the spec's formula.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseVerifierKey, verifyCheckpointNote } from '../../src/protocol/checkpoint.js';
import { bytesEqual, utf8 } from '../../src/protocol/encoding.js';
import { sha256 } from '../../src/protocol/hash.js';
import {
  appendToFrontier,
  consistencyProofRanges,
  leafHash,
  nodeHash,
  rangeHash,
  rootFromFrontier,
  subtreesFor,
  verifyConsistency,
  type StoredSubtree,
} from '../../src/protocol/merkle.js';
import { rootWithLeaves, subtreesAroundLeaves, tileKey, tileLookup, tilesForSubtrees, type TileSet } from '../../src/protocol/tile-proofs.js';
import {
  decodeEntryBundle,
  decodeHashTile,
  encodeEntryBundle,
  encodeHashTile,
  formatTileIndex,
  formatTilePath,
  parseTilePath,
  tileExistsAt,
  tileSubtrees,
  tileWidthAt,
  type TileId,
} from '../../src/protocol/tiles.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';

const VECTORS = new URL('../vectors/tiles/log/', import.meta.url).pathname;
const vector = (path: string) => new Uint8Array(readFileSync(VECTORS + path));
const TESSERA_VKEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const TESSERA_ENTRIES = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eit', 'nain', 'ten', 'ileven', 'twelf', 'threeten', 'fourten', 'fivten'];

describe('tile paths', () => {
  // The spec's example, and Tessera's api/layout/paths_test.go.
  const examples: Array<[TileId, string]> = [
    [{ level: 0, index: 0, width: 256 }, 'tile/0/000'],
    [{ level: 0, index: 0, width: 255 }, 'tile/0/000.p/255'],
    [{ level: 1, index: 0, width: 256 }, 'tile/1/000'],
    [{ level: 15, index: 455667, width: 256 }, 'tile/15/x455/667'],
    [{ level: 15, index: 123456789, width: 41 }, 'tile/15/x123/x456/789.p/41'],
    [{ level: 'entries', index: 0, width: 256 }, 'tile/entries/000'],
    [{ level: 'entries', index: 0, width: 8 }, 'tile/entries/000.p/8'],
    [{ level: 'entries', index: 255, width: 253 }, 'tile/entries/255.p/253'],
    [{ level: 'entries', index: 123456789, width: 256 }, 'tile/entries/x123/x456/789'],
    [{ level: 3, index: 1234067, width: 256 }, 'tile/3/x001/x234/067'],
    [{ level: 63, index: 1000, width: 1 }, 'tile/63/x001/000.p/1'],
  ];

  it.each(examples)('%j is %s, and back', (tile, path) => {
    expect(formatTilePath(tile)).toBe(path);
    expect(parseTilePath(path.slice('tile/'.length))).toEqual(tile);
  });

  it('writes indexes in 3-digit groups, x on all but the last', () => {
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(Number.MAX_SAFE_INTEGER)).toBe('x009/x007/x199/x254/x740/991');
  });

  it('reads back every index it writes', () => {
    for (const index of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 999_999, 1_000_000, 2 ** 32, 2 ** 45 + 7, Number.MAX_SAFE_INTEGER]) {
      for (const width of [1, 17, 255, 256]) {
        const tile: TileId = { level: index % 64, index, width };
        expect(parseTilePath(formatTilePath(tile).slice('tile/'.length))).toEqual(tile);
      }
    }
  });

  it.each([
    '',
    '0',
    '0/',
    '/000',
    '00/000',
    '01/000',
    '64/000',
    '-1/000',
    '1e1/000',
    '0/00',
    '0/0000',
    '0/+01',
    '0/x001',
    '0/X001/000',
    '0/001/002',
    '0/001/x002',
    '0/x000/001',
    '0/x01/001',
    '0/000/',
    '0/000.p',
    '0/000.p/',
    '0/000.p/0',
    '0/000.p/01',
    '0/000.p/256',
    '0/000.p/1/2',
    '0/000.P/1',
    '0/x001.p/000',
    'entries',
    'entries/',
    'entries/000.p/300',
    'Entries/000',
    'entries/x001',
    '0/x009/x007/x199/x254/x740/992',
    '0/x999/x999/x999/x999/x999/x999/999',
    '0/%30%30%30',
  ])('refuses %j', (path) => {
    expect(parseTilePath(path)).toBeNull();
  });
});

describe('tile widths', () => {
  it('match the spec: a tree of 70,000 entries', () => {
    // "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one
    // partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    expect(tileWidthAt(0, 272, 70_000)).toBe(256);
    expect(tileWidthAt(0, 273, 70_000)).toBe(112);
    expect(tileWidthAt(0, 274, 70_000)).toBe(0);
    expect(tileWidthAt(1, 0, 70_000)).toBe(256);
    expect(tileWidthAt(1, 1, 70_000)).toBe(17);
    expect(tileWidthAt(2, 0, 70_000)).toBe(1);
    expect(tileWidthAt(3, 0, 70_000)).toBe(0);
  });

  it('match the spec: a tree of 256 entries', () => {
    expect(tileWidthAt(0, 0, 256)).toBe(256);
    expect(tileWidthAt(0, 1, 256)).toBe(0);
    expect(tileWidthAt(1, 0, 256)).toBe(1);
  });

  it('say which tiles a tree holds: any width up to what it has there', () => {
    expect(tileExistsAt({ level: 0, index: 273, width: 112 }, 70_000)).toBe(true);
    expect(tileExistsAt({ level: 0, index: 273, width: 100 }, 70_000)).toBe(true);
    expect(tileExistsAt({ level: 0, index: 273, width: 113 }, 70_000)).toBe(false);
    expect(tileExistsAt({ level: 'entries', index: 273, width: 256 }, 70_000)).toBe(false);
    expect(tileExistsAt({ level: 'entries', index: 272, width: 256 }, 70_000)).toBe(true);
    expect(tileExistsAt({ level: 63, index: 0, width: 1 }, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(tileExistsAt({ level: 0, index: 0, width: 1 }, 0)).toBe(false);
  });
});

describe('a published tiled log (Tessera test data)', () => {
  const key = parseVerifierKey(TESSERA_VKEY)!;

  it.each([4, 15])('size %i: the bundle, the level-0 tile and the checkpoint agree', async (size) => {
    const entries = TESSERA_ENTRIES.slice(0, size).map(utf8);
    const bundlePath = formatTilePath({ level: 'entries', index: 0, width: size });
    const tilePath = formatTilePath({ level: 0, index: 0, width: size });
    expect([bundlePath, tilePath]).toEqual([`tile/entries/000.p/${size}`, `tile/0/000.p/${size}`]);

    const bundle = vector(bundlePath);
    expect(encodeEntryBundle(entries)).toEqual(bundle);
    expect(decodeEntryBundle(bundle, size)).toEqual(entries);

    const tile = vector(tilePath);
    const hashes = entries.map(leafHash);
    expect(encodeHashTile(hashes)).toEqual(tile);
    expect(decodeHashTile(tile, size)).toEqual(hashes);

    const checkpoint = await verifyCheckpointNote(new TextDecoder().decode(vector(`checkpoint.${size}`)), key, nodeVerify);
    expect(checkpoint).not.toBeNull();
    expect(checkpoint!.size).toBe(size);
    const lookup = tileLookup(new Map([[tileKey(0, 0), hashes]]));
    expect(rangeHash([0, size], lookup)).toEqual(checkpoint!.root);
    expect(rootWithLeaves(size, 1, hashes.slice(1, 3), lookup)).toEqual(checkpoint!.root);
  });

  it('gives a consistency proof from 4 to 15 from the tiles alone', async () => {
    const note = (size: number) => new TextDecoder().decode(vector(`checkpoint.${size}`));
    const [old, current] = [await verifyCheckpointNote(note(4), key, nodeVerify), await verifyCheckpointNote(note(15), key, nodeVerify)];
    const ranges = consistencyProofRanges(4, 15);
    const needed = tilesForSubtrees(subtreesFor(ranges), 15);
    expect(needed.map(formatTilePath)).toEqual(['tile/0/000.p/15']);
    const tiles: TileSet = new Map([[tileKey(0, 0), decodeHashTile(vector('tile/0/000.p/15'), 15)!]]);
    const proof = ranges.map((range) => rangeHash(range, tileLookup(tiles)));
    expect(verifyConsistency(4, 15, proof, old!.root, current!.root)).toBe(true);
  });

  it('refuses bundles and tiles that are not exactly their width', () => {
    const bundle = vector('tile/entries/000.p/4');
    expect(decodeEntryBundle(bundle, 3)).toBeNull();
    expect(decodeEntryBundle(bundle, 5)).toBeNull();
    expect(decodeEntryBundle(bundle.slice(0, -1), 4)).toBeNull();
    expect(decodeEntryBundle(new Uint8Array([...bundle, 0]), 4)).toBeNull();
    expect(decodeEntryBundle(new Uint8Array([0, 5, 1, 2]), 1)).toBeNull();
    expect(decodeHashTile(vector('tile/0/000.p/4'), 3)).toBeNull();
    expect(decodeHashTile(vector('tile/0/000.p/4').slice(1), 4)).toBeNull();
    expect(() => encodeEntryBundle([new Uint8Array(0x10000)])).toThrow(RangeError);
    expect(encodeEntryBundle([new Uint8Array(0xffff)]).subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xff]));
  });
});

describe('tiles of a larger tree, against the spec formula', () => {
  const SIZE = 70_000;
  const leaves = Array.from({ length: SIZE }, (_, i) => leafHash(utf8(`entry ${i}`)));
  /** MTH(D[start:end]) by RFC 9162's definition, written independently of merkle.ts. */
  const memo = new Map<string, Uint8Array>();
  const mth = (start: number, end: number): Uint8Array => {
    if (end - start === 1) return leaves[start]!;
    const known = memo.get(`${start}:${end}`);
    if (known !== undefined) return known;
    let k = 1;
    while (k * 2 < end - start) k *= 2;
    const hash = nodeHash(mth(start, start + k), mth(start + k, end));
    memo.set(`${start}:${end}`, hash);
    return hash;
  };
  // What the registry stores: every perfect subtree that an append completes (log-writer.ts).
  const stored = new Map<string, Uint8Array>();
  let edge: StoredSubtree[] = [];
  for (let i = 0; i < SIZE; i += 1000) {
    const step = appendToFrontier(edge, leaves.slice(i, i + 1000));
    for (const s of step.completed) stored.set(`${s.level}:${s.index}`, s.hash);
    edge = step.frontier;
  }
  /** A tile as the registry serves it: tileSubtrees' run of stored subtrees. */
  const serve = (level: number, index: number, width: number) => {
    const { treeLevel, first, count } = tileSubtrees(level, index, width);
    return Array.from({ length: count }, (_, i) => stored.get(`${treeLevel}:${first + i}`)!);
  };
  /** The spec: hash i of tile n at level l is MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]). */
  const spec = (level: number, index: number, width: number) =>
    Array.from({ length: width }, (_, i) => mth((index * 256 + i) * 256 ** level, (index * 256 + i + 1) * 256 ** level));

  it.each([
    [0, 0, 256],
    [0, 272, 256],
    [0, 273, 112],
    [1, 0, 256],
    [1, 1, 17],
    [2, 0, 1],
  ])('tile %i/%i of width %i', (level, index, width) => {
    expect(tileWidthAt(level, index, SIZE)).toBe(width);
    expect(serve(level, index, width)).toEqual(spec(level, index, width));
  });

  it('give every proof hash, and the root around any run of leaves', () => {
    const size = 69_999;
    const tiles: TileSet = new Map();
    const fetchTiles = (needed: readonly TileId[]) => {
      for (const t of needed) tiles.set(tileKey(t.level as number, t.index), serve(t.level as number, t.index, t.width));
    };
    const ranges = consistencyProofRanges(1234, size);
    fetchTiles(tilesForSubtrees(subtreesFor(ranges), size));
    expect(ranges.map((r) => rangeHash(r, tileLookup(tiles)))).toEqual(ranges.map(([a, b]) => mth(a, b)));

    const root = mth(0, size);
    for (const [first, count] of [
      [0, 256],
      [65_536, 256],
      [69_888, 111],
      [300, 7],
    ] as const) {
      fetchTiles(tilesForSubtrees(subtreesAroundLeaves(size, first, count), size));
      expect(bytesEqual(rootWithLeaves(size, first, leaves.slice(first, first + count), tileLookup(tiles)), root)).toBe(true);
      const wrong = leaves.slice(first, first + count);
      wrong[count - 1] = sha256(utf8('not the leaf'));
      expect(bytesEqual(rootWithLeaves(size, first, wrong, tileLookup(tiles)), root)).toBe(false);
    }
    expect(rootFromFrontier(edge)).toEqual(mth(0, SIZE));
  });
});
