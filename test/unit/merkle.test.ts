import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { sha256 } from '../../src/protocol/hash.js';
import {
  EMPTY_ROOT,
  appendToFrontier,
  consistencyProofRanges,
  inclusionProofRanges,
  leafHash,
  nodeHash,
  rangeHash,
  rootFromFrontier,
  subtreeKey,
  type StoredSubtree,
  verifyConsistency,
  verifyInclusion,
} from '../../src/protocol/merkle.js';

/** MTH straight from RFC 9162 §2.1.1, recursive and slow: the reference the fast code must match. */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** A whole tree held in memory the way the registry stores it: every completed perfect subtree. */
function buildTree(count: number) {
  const leaves = Array.from({ length: count }, (_, i) => sha256(new Uint8Array([i & 0xff, i >> 8])));
  const nodes = new Map<string, Uint8Array>();
  const roots: Uint8Array[] = [EMPTY_ROOT];
  let edge: StoredSubtree[] = [];
  for (const leaf of leaves) {
    const step = appendToFrontier(edge, [leafHash(leaf)]);
    for (const node of step.completed) nodes.set(subtreeKey(node), node.hash);
    edge = step.frontier;
    roots.push(rootFromFrontier(edge));
  }
  const lookup = (s: { level: number; index: number }) => {
    const hash = nodes.get(subtreeKey(s));
    if (hash === undefined) throw new Error(`missing subtree ${subtreeKey(s)}`);
    return hash;
  };
  return { leaves, roots, lookup };
}

describe('Merkle tree construction and proofs', () => {
  const tree = buildTree(70);

  it('computes the RFC root for every size, appending one leaf at a time', () => {
    for (let size = 0; size <= 70; size++) expect(tree.roots[size]).toEqual(referenceRoot(tree.leaves.slice(0, size)));
  });

  it('appends a batch of leaves to the same result as one at a time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 30 }), (before, added) => {
        const first = appendToFrontier([], tree.leaves.slice(0, before).map(leafHash));
        const second = appendToFrontier(first.frontier, tree.leaves.slice(before, before + added).map(leafHash));
        expect(rootFromFrontier(second.frontier)).toEqual(tree.roots[before + added]);
      }),
    );
  });

  it('builds inclusion proofs that verify, and fail for any other leaf', () => {
    for (let size = 1; size <= 70; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProofRanges(index, size).map((range) => rangeHash(range, tree.lookup));
        expect(verifyInclusion(index, size, leafHash(tree.leaves[index]!), proof, tree.roots[size]!)).toBe(true);
        const other = tree.leaves[(index + 1) % size]!;
        if (size > 1) expect(verifyInclusion(index, size, leafHash(other), proof, tree.roots[size]!)).toBe(false);
      }
    }
  });

  it('builds consistency proofs that verify between every pair of sizes', () => {
    for (let to = 1; to <= 70; to++) {
      for (let from = 1; from <= to; from++) {
        const proof = consistencyProofRanges(from, to).map((range) => rangeHash(range, tree.lookup));
        expect(verifyConsistency(from, to, proof, tree.roots[from]!, tree.roots[to]!)).toBe(true);
        if (from < to) expect(verifyConsistency(from, to, proof, tree.roots[from - 1]!, tree.roots[to]!)).toBe(false);
      }
    }
  });

  it('refuses ranges outside the tree instead of building a proof', () => {
    expect(() => inclusionProofRanges(5, 5)).toThrow(RangeError);
    expect(() => consistencyProofRanges(6, 5)).toThrow(RangeError);
    expect(() => inclusionProofRanges(-1, 5)).toThrow(RangeError);
  });
});
