/**
 * RFC 9162 (RFC 6962) Merkle trees: hashing, proof construction and proof verification.
 * https://www.rfc-editor.org/rfc/rfc9162#section-2.1
 *
 * The registry stores only *perfect* subtrees (2^level leaves starting at index·2^level); they
 * never change once complete, so they can be cached forever. Every hash a proof needs is the hash
 * of an aligned range, and every aligned range is a short list of perfect subtrees, so a proof
 * costs O(log n) subtree reads. Sizes and indexes are plain numbers up to 2^53: no bit operators,
 * which would truncate to 32 bits.
 */
import { bytesEqual, concatBytes } from './encoding.js';
import { sha256 } from './hash.js';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

const HASH_SIZE = 32;

/** MTH({}) = SHA-256() — the root of the empty tree. */
export const EMPTY_ROOT = sha256(new Uint8Array(0));

export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(concatBytes(LEAF_PREFIX, leaf));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concatBytes(NODE_PREFIX, left, right));
}

/** A perfect subtree: the 2^level leaves starting at leaf index·2^level. */
export interface Subtree {
  level: number;
  index: number;
}

export interface StoredSubtree extends Subtree {
  hash: Uint8Array;
}

/** A range [start, end) of leaves whose hash, MTH(D[start:end]), a proof carries. */
export type LeafRange = readonly [start: number, end: number];

export type SubtreeLookup = (subtree: Subtree) => Uint8Array;

export function subtreeKey({ level, index }: Subtree): string {
  return `${level}:${index}`;
}

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** The largest power of two strictly less than n (n > 1): RFC 9162's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/**
 * The perfect subtrees, left to right, whose hashes make up MTH(D[start:end]) for a range the
 * RFC's recursion produces (start is a multiple of the largest power of two ≤ end − start).
 */
export function rangeSubtrees(start: number, end: number): Subtree[] {
  const out: Subtree[] = [];
  while (start < end) {
    const n = end - start;
    const size = isPowerOfTwo(n) ? n : splitPoint(n);
    const level = Math.log2(size);
    out.push({ level, index: start / size });
    start += size;
  }
  return out;
}

/** MTH(D[start:end]) from perfect subtree hashes: hash the list right to left, as RFC 9162 nests it. */
export function rangeHash(range: LeafRange, lookup: SubtreeLookup): Uint8Array {
  const parts = rangeSubtrees(range[0], range[1]);
  if (parts.length === 0) return EMPTY_ROOT;
  let hash = lookup(parts[parts.length - 1]!);
  for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(lookup(parts[i]!), hash);
  return hash;
}

/** The ranges whose hashes form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), leaf side first. */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!isSize(index) || !isSize(size) || index >= size) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  const ranges: LeafRange[] = [];
  let start = 0;
  let n = size;
  let m = index;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      ranges.push([start + k, start + n]);
      n = k;
    } else {
      ranges.push([start, start + k]);
      start += k;
      m -= k;
      n -= k;
    }
  }
  return ranges.reverse();
}

/**
 * How many of the ranges of inclusionProofRanges(index, size) — the last ones, on the root's side —
 * are the same for every leaf in index's block of 2^bits leaves: RFC 9162's recursion splits at a
 * power of two k ≥ 2^bits (a multiple of the block) as long as the subtree it splits holds more than
 * 2^bits leaves, so which side the leaf is on, and the sibling range, depend on the block alone.
 */
export function sharedPathLength(index: number, size: number, bits: number): number {
  if (!isSize(index) || !isSize(size) || index >= size) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  const block = 2 ** bits;
  let steps = 0;
  let start = 0;
  let n = size;
  while (n > block) {
    const k = splitPoint(n);
    if (index - start < k) {
      n = k;
    } else {
      start += k;
      n -= k;
    }
    steps++;
  }
  return steps;
}

/** The ranges whose hashes form PROOF(from, D[0:to]) (RFC 9162 §2.1.4.1); empty when from is 0 or to. */
export function consistencyProofRanges(from: number, to: number): LeafRange[] {
  if (!isSize(from) || !isSize(to) || from > to) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  const ranges: LeafRange[] = [];
  let start = 0;
  let n = to;
  let m = from;
  let whole = true; // SUBPROOF's b: is this subtree the old tree entire?
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) {
      ranges.push([start + k, start + n]);
      n = k;
    } else {
      ranges.push([start, start + k]);
      start += k;
      m -= k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) ranges.push([start, start + n]);
  return ranges.reverse();
}

/** Every perfect subtree the given ranges need, without repeats. */
export function subtreesFor(ranges: readonly LeafRange[]): Subtree[] {
  const seen = new Map<string, Subtree>();
  for (const [start, end] of ranges) {
    for (const subtree of rangeSubtrees(start, end)) seen.set(subtreeKey(subtree), subtree);
  }
  return [...seen.values()];
}

/** The tree's right edge: the perfect subtrees whose hashes give the root of a tree of `size`. */
export function frontier(size: number): Subtree[] {
  return rangeSubtrees(0, size);
}

export function rootFromFrontier(edge: readonly StoredSubtree[]): Uint8Array {
  if (edge.length === 0) return EMPTY_ROOT;
  let hash = edge[edge.length - 1]!.hash;
  for (let i = edge.length - 2; i >= 0; i--) hash = nodeHash(edge[i]!.hash, hash);
  return hash;
}

/**
 * Appends leaf hashes to a tree given by its frontier. Returns every perfect subtree that became
 * complete (the leaves themselves included), to be stored, and the new frontier.
 */
export function appendToFrontier(edge: readonly StoredSubtree[], leafHashes: readonly Uint8Array[]): { completed: StoredSubtree[]; frontier: StoredSubtree[] } {
  const stack = [...edge];
  const completed: StoredSubtree[] = [];
  let size = 0;
  for (const subtree of edge) size += 2 ** subtree.level;
  for (const hash of leafHashes) {
    let node: StoredSubtree = { level: 0, index: size, hash };
    completed.push(node);
    size++;
    while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
      const left = stack.pop()!;
      node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
      completed.push(node);
    }
    stack.push(node);
  }
  return { completed, frontier: stack };
}

/**
 * Verifies an inclusion proof (RFC 9162 §2.1.3.2). Indexes and proofs are attacker-controlled:
 * anything out of range answers false, never throws.
 */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2). A proof from the empty
 * tree is refused as meaningless (every tree extends it), as transparency-dev/merkle does.
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  if (!isSize(size1) || !isSize(size2) || size2 < size1 || size1 === 0) return false;
  if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
  if (proof.length === 0 || [root1, root2, ...proof].some((h) => h.length !== HASH_SIZE)) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}
