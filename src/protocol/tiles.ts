/**
 * C2SP tiled transparency logs (https://c2sp.org/tlog-tiles): the same RFC 9162 tree as
 * merkle.ts, served as static resources. Pure and browser-safe: paths, tile and entry-bundle
 * bytes, and the hash of any perfect subtree from the tiles that hold it.
 *
 * A tile at level L holds up to 256 consecutive hashes of tree level 8·L (MTH of 256^L leaves
 * each): tile N of level L holds the perfect subtrees (8·L, N·256) to (8·L, N·256 + 255). A tile
 * of fewer hashes is partial, written `.p/<W>`. Entry bundle N holds the leaves N·256 onwards,
 * each as a big-endian uint16 length then its bytes.
 *
 * Paths and bytes are attacker-controlled input wherever they are parsed: a parser answers null
 * for anything that is not exactly what the spec allows, never throws.
 */
import { nodeHash, type Subtree } from './merkle.js';

/** Hashes in a full tile, entries in a full bundle. */
export const TILE_WIDTH = 256;
/** Tree levels a tile spans: 256 = 2^8. */
export const TILE_HEIGHT = 8;
export const HASH_BYTES = 32;
/** The spec's highest tile level. */
export const MAX_TILE_LEVEL = 63;
/** The longest entry an entry bundle can carry: its length is a uint16. */
export const MAX_BUNDLE_ENTRY_BYTES = 0xffff;

/** A hash tile (`level` 0–63) or, with level 'entries', an entry bundle; `width` 1–256. */
export interface TileId {
  level: number | 'entries';
  index: number;
  width: number;
}

/** Index N as the spec writes it: 3-digit groups, all but the last prefixed with `x` (1234067 → x001/x234/067). */
export function formatTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`no tile index ${index}`);
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

/** The path under the log's prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`. */
export function formatTilePath(tile: TileId): string {
  if (!Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH) throw new RangeError(`no tile of width ${tile.width}`);
  if (tile.level !== 'entries' && (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > MAX_TILE_LEVEL)) throw new RangeError(`no tile level ${tile.level}`);
  const partial = tile.width < TILE_WIDTH ? `.p/${tile.width}` : '';
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${partial}`;
}

const LEVEL = /^(0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;

/**
 * Parses what follows `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, exactly as
 * formatTilePath writes it (no leading zeros but the spec's, no empty groups, no `x` on the
 * last group, W 1–255); null for anything else, including an index past 2^53.
 */
export function parseTilePath(path: string): TileId | null {
  const segments = path.split('/');
  const first = segments.shift()!;
  let level: TileId['level'];
  if (first === 'entries') level = 'entries';
  else if (LEVEL.test(first) && Number(first) <= MAX_TILE_LEVEL) level = Number(first);
  else return null;

  let width = TILE_WIDTH;
  if (segments.length >= 2 && segments[segments.length - 2]!.endsWith('.p')) {
    const w = segments.pop()!;
    if (!WIDTH.test(w) || Number(w) >= TILE_WIDTH) return null;
    width = Number(w);
    segments[segments.length - 1] = segments[segments.length - 1]!.slice(0, -2);
  }
  if (segments.length === 0) return null;
  let index = 0;
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const match = (last ? /^([0-9]{3})$/ : /^x([0-9]{3})$/).exec(segment);
    if (match === null) return null;
    index = index * 1000 + Number(match[1]);
  }
  // The spec's encoding is unique: no leading group of zeros (x000/001 is 1, spelled 001).
  if (segments.length > 1 && segments[0] === 'x000') return null;
  if (!Number.isSafeInteger(index)) return null;
  return { level, index, width };
}

/** Leaves in a tree of `size` under one hash of a tile at `level`: 256^level. */
function span(level: number): number {
  return TILE_WIDTH ** level;
}

/**
 * How many hashes tile `index` of `level` holds in the tree of `size` (0: none yet, 256: full).
 * The partial tile at level l of a tree of size s has floor(s / 256^l) mod 256 hashes.
 */
export function tileWidthAt(level: number, index: number, size: number): number {
  const hashes = Math.floor(size / span(level));
  return Math.max(0, Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH));
}

/** Entries bundle `index` holds in the tree of `size` (0–256). */
export function bundleWidthAt(index: number, size: number): number {
  return tileWidthAt(0, index, size);
}

/** Whether the tree of `size` has the tile or bundle `tile` (its width at most what the tree holds there). */
export function tileExistsAt(tile: TileId, size: number): boolean {
  return tile.width <= tileWidthAt(tile.level === 'entries' ? 0 : tile.level, tile.index, size);
}

/** The perfect subtrees a hash tile holds: tree level 8·L, indexes N·256 to N·256 + W − 1. */
export function tileSubtrees(level: number, index: number, width: number): { treeLevel: number; first: number; count: number } {
  return { treeLevel: level * TILE_HEIGHT, first: index * TILE_WIDTH, count: width };
}

/** A tile's bytes from its hashes, in order. */
export function encodeHashTile(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_BYTES);
  hashes.forEach((hash, i) => out.set(hash, i * HASH_BYTES));
  return out;
}

/** A tile's hashes; null unless it is exactly `width` hashes. */
export function decodeHashTile(bytes: Uint8Array, width: number): Uint8Array[] | null {
  if (bytes.length !== width * HASH_BYTES) return null;
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < width; i++) hashes.push(bytes.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  return hashes;
}

/** An entry bundle's bytes; throws a RangeError for an entry longer than 65,535 bytes (callers check first). */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const entry of entries) {
    if (entry.length > MAX_BUNDLE_ENTRY_BYTES) throw new RangeError(`an entry of ${entry.length} bytes does not fit an entry bundle`);
    length += 2 + entry.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const entry of entries) {
    out[at] = entry.length >>> 8;
    out[at + 1] = entry.length & 0xff;
    out.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return out;
}

/** An entry bundle's entries; null unless it is exactly `width` length-prefixed entries. */
export function decodeEntryBundle(bytes: Uint8Array, width: number): Uint8Array[] | null {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length || entries.length === width) return null;
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    if (at + 2 + length > bytes.length) return null;
    entries.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries.length === width ? entries : null;
}

/** The hash tile that holds perfect subtree `subtree`, and the hashes of it the subtree covers. */
export function tileFor(subtree: Subtree): { level: number; index: number; from: number; to: number } {
  const level = Math.floor(subtree.level / TILE_HEIGHT);
  const per = 2 ** (subtree.level - level * TILE_HEIGHT); // tile hashes under this subtree
  const first = subtree.index * per; // position at tree level 8·level
  return { level, index: Math.floor(first / TILE_WIDTH), from: first % TILE_WIDTH, to: (first % TILE_WIDTH) + per };
}

/**
 * MTH of hashes[from, to) when to − from is a power of two: the subtree they are the leaves of
 * (how a perfect subtree between two tile levels is rebuilt from the tile below it).
 */
export function perfectRoot(hashes: readonly Uint8Array[], from: number, to: number): Uint8Array {
  let level = hashes.slice(from, to);
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
}
