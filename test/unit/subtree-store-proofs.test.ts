// SubtreeStore.inclusionProof keeps the hashes a block of 2^10 leaves shares on the root's side
// (merkle.ts, sharedPathLength) for the largest tree size asked: its proofs must be the very
// hashes RFC 9162's PATH gives, at that size, at older sizes, and after the tree grows.
import { describe, expect, it } from '@jest/globals';
import type { Sql } from '../../src/db/database.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { sha256 } from '../../src/protocol/hash.js';
import {
  appendToFrontier,
  inclusionProofRanges,
  leafHash,
  rangeHash,
  sharedPathLength,
  subtreeKey,
  type StoredSubtree,
} from '../../src/protocol/merkle.js';

const LEAVES = 3000;

/** Every completed subtree of a tree of LEAVES leaves, by key. */
function buildTree(): Map<string, StoredSubtree> {
  const nodes = new Map<string, StoredSubtree>();
  let edge: StoredSubtree[] = [];
  for (let i = 0; i < LEAVES; i++) {
    const step = appendToFrontier(edge, [leafHash(sha256(new Uint8Array([i & 0xff, i >> 8])))]);
    for (const node of step.completed) nodes.set(subtreeKey(node), node);
    edge = step.frontier;
  }
  return nodes;
}

const nodes = buildTree();

/** A fresh computation of the proof: every range hashed from the stored subtrees. */
function referenceProof(index: number, size: number): string[] {
  return inclusionProofRanges(index, size).map((range) => toBase64Url(rangeHash(range, (s) => nodes.get(subtreeKey(s))!.hash)));
}

/** The log_nodes table of the tree, answering readSubtrees' statement; counts the statements. */
function fakeDatabase(): Sql & { statements: number } {
  const db = {
    statements: 0,
    async query<T>(_text: string, params?: unknown[]): Promise<T[]> {
      db.statements++;
      const [levels, indexes] = params as [number[], number[]];
      return levels.map((level, i) => nodes.get(subtreeKey({ level, index: indexes[i]! }))!) as T[];
    },
  };
  return db;
}

function storeHolding(filter: (s: StoredSubtree) => boolean = () => true): { store: SubtreeStore; db: ReturnType<typeof fakeDatabase> } {
  const db = fakeDatabase();
  const store = new SubtreeStore(db);
  store.remember([...nodes.values()].filter(filter));
  return { store, db };
}

async function expectAllProofs(store: SubtreeStore, size: number): Promise<void> {
  for (let index = 0; index < size; index++) expect(await store.inclusionProof(index, size)).toEqual(referenceProof(index, size));
}

describe('SubtreeStore.inclusionProof', () => {
  it('gives the RFC 9162 path for every leaf, the first time and from its kept hashes, as the tree grows', async () => {
    const { store, db } = storeHolding();
    for (const size of [1, 2, 1023, 1024, 1025, 2048, 2049, 2500, LEAVES]) {
      await expectAllProofs(store, size); // keeps the shared hashes of this size
      await expectAllProofs(store, size); // served from them
    }
    expect(db.statements).toBe(0);
  });

  it('gives an older size its own path, and keeps the largest size\'s shared hashes meanwhile', async () => {
    const { store } = storeHolding();
    await expectAllProofs(store, LEAVES);
    await expectAllProofs(store, 2049); // an older tree (GET /v1/log/proof): not the kept hashes of LEAVES
    await expectAllProofs(store, 1500);
    await expectAllProofs(store, LEAVES);
  });

  it('reads the subtrees the cache lacks from the database, and keeps what it read', async () => {
    // Level 0 and 1 missing: every leaf's lowest hashes come from the database.
    const { store, db } = storeHolding((s) => s.level >= 2);
    await expectAllProofs(store, 2500);
    const statements = db.statements;
    expect(statements).toBeGreaterThan(0);
    await expectAllProofs(store, 2500);
    expect(db.statements).toBe(statements);
  });

  it('shares only what depends on the block: the shared ranges of any two leaves of a block are the same', () => {
    for (const size of [1025, 1537, 2048, 2049, 2999, LEAVES]) {
      for (let index = 0; index < size; index++) {
        const block = Math.floor(index / 1024) * 1024;
        const shared = sharedPathLength(index, size, 10);
        const ranges = inclusionProofRanges(index, size);
        const first = inclusionProofRanges(block, size);
        expect(sharedPathLength(block, size, 10)).toBe(shared);
        expect(ranges.slice(ranges.length - shared)).toEqual(first.slice(first.length - shared));
      }
    }
  });
});
