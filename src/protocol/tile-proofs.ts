/**
 * Proofs from tiles (c2sp.org/tlog-tiles): a tiled log serves no proofs, only hashes, and a
 * client computes what it needs from them. Every hash a proof needs is the hash of a perfect
 * subtree (merkle.ts), and every perfect subtree is either a hash in one tile or the root of a
 * power-of-two run of hashes in one tile (tiles.ts: tileFor).
 *
 * The tiles are untrusted: what is computed from them is only ever compared with a signed
 * checkpoint's root (verifyConsistency, or a root recomputed here), which is what checks them.
 */
import { nodeHash, rangeSubtrees, type Subtree, type SubtreeLookup } from './merkle.js';
import { perfectRoot, tileFor, tileWidthAt, type TileId } from './tiles.js';

/** Hash tiles fetched for one tree size, by `<level>/<index>`. */
export type TileSet = Map<string, Uint8Array[]>;

export function tileKey(level: number, index: number): string {
  return `${level}/${index}`;
}

/** The hash tiles, at their width in the tree of `size`, that hold the given perfect subtrees (no repeats). */
export function tilesForSubtrees(subtrees: Iterable<Subtree>, size: number): TileId[] {
  const out = new Map<string, TileId>();
  for (const subtree of subtrees) {
    const { level, index } = tileFor(subtree);
    out.set(tileKey(level, index), { level, index, width: tileWidthAt(level, index, size) });
  }
  return [...out.values()];
}

/** A SubtreeLookup over fetched tiles; throws for a subtree whose tile is missing or too narrow (a caller's bug). */
export function tileLookup(tiles: TileSet): SubtreeLookup {
  return (subtree) => {
    const { level, index, from, to } = tileFor(subtree);
    const hashes = tiles.get(tileKey(level, index));
    if (hashes === undefined || hashes.length < to) throw new RangeError(`tile ${level}/${index} does not hold subtree ${subtree.level}:${subtree.index}`);
    return perfectRoot(hashes, from, to);
  };
}

/** The largest power of two strictly less than n (n > 1): RFC 9162's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[0:size]) (RFC 9162 §2.1.1) with the leaves `first` to `first + leaves.length − 1` given as
 * hashes and every other part of the tree taken from `lookup`: a recomputed root that, equal to a
 * signed one, proves those leaves are in the log at those indexes (an inclusion proof for a run
 * of leaves). `lookup` is asked only for perfect subtrees that hold none of the given leaves:
 * O(log size) of them.
 */
export function rootWithLeaves(size: number, first: number, leaves: readonly Uint8Array[], lookup: SubtreeLookup): Uint8Array {
  const end = first + leaves.length;
  if (!(Number.isSafeInteger(first) && first >= 0 && end <= size && leaves.length > 0)) throw new RangeError(`no leaves ${first}–${end - 1} in a tree of size ${size}`);
  const mth = (start: number, stop: number): Uint8Array => {
    const n = stop - start;
    if (stop <= first || start >= end) {
      // Outside the given leaves: a perfect subtree, or split into them as the RFC does.
      const parts = rangeSubtrees(start, stop);
      let hash = lookup(parts[parts.length - 1]!);
      for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(lookup(parts[i]!), hash);
      return hash;
    }
    if (n === 1) return leaves[start - first]!;
    const k = splitPoint(n);
    return nodeHash(mth(start, start + k), mth(start + k, stop));
  };
  return mth(0, size);
}

/** The perfect subtrees rootWithLeaves will ask `lookup` for: what to fetch tiles for. */
export function subtreesAroundLeaves(size: number, first: number, count: number): Subtree[] {
  const needed: Subtree[] = [];
  const zero = new Uint8Array(32);
  rootWithLeaves(size, first, new Array<Uint8Array>(count).fill(zero), (subtree) => {
    needed.push(subtree);
    return zero;
  });
  return needed;
}
