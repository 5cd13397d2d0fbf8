// SubtreeStore.inclusionProof keeps the hashes a block of 2^10 leaves shares on the root's side
// (merkle.ts, sharedPathLength) for the largest tree size asked: its proofs must be the very
// hashes RFC 9162's PATH gives, at that size, at older sizes, after the tree grows, and when calls
// at several sizes wait on the database at once.
import { describe, expect, it } from '@jest/globals';
import type { Sql } from '../../src/db/database.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { sha256 } from '../../src/protocol/hash.js';
import {
  appendToFrontier,
  inclusionProofRanges,
  leafHash,
  nodeHash,
  sharedPathLength,
  subtreeKey,
  type StoredSubtree,
  type Subtree,
} from '../../src/protocol/merkle.js';

const LEAVES = 3000;
const BLOCK = 1024;

/** The leaf hashes of a tree of LEAVES leaves, and every completed subtree of it, by key. */
function buildTree(): { leaves: Uint8Array[]; nodes: Map<string, StoredSubtree> } {
  const leaves: Uint8Array[] = [];
  const nodes = new Map<string, StoredSubtree>();
  let edge: StoredSubtree[] = [];
  for (let i = 0; i < LEAVES; i++) {
    leaves.push(leafHash(sha256(new Uint8Array([i & 0xff, i >> 8]))));
    const step = appendToFrontier(edge, [leaves[i]!]);
    for (const node of step.completed) nodes.set(subtreeKey(node), node);
    edge = step.frontier;
  }
  return { leaves, nodes };
}

const { leaves, nodes } = buildTree();

/** The largest power of two strictly less than n (n > 1): RFC 9162's k. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const mthMemo = new Map<string, Uint8Array>();
/** MTH(D[start:end]) (RFC 9162 §2.1.1), recursed from the leaf hashes: none of the store's range code. */
function mth(start: number, end: number): Uint8Array {
  if (end - start === 1) return leaves[start]!;
  const key = `${start}:${end}`;
  let hash = mthMemo.get(key);
  if (hash === undefined) {
    const k = split(end - start);
    mthMemo.set(key, (hash = nodeHash(mth(start, start + k), mth(start + k, end))));
  }
  return hash;
}

/** PATH(m, D[start:end]) (RFC 9162 §2.1.3.1), as written there. */
function path(m: number, start: number, end: number): Uint8Array[] {
  const n = end - start;
  if (n === 1) return [];
  const k = split(n);
  return m < k ? [...path(m, start, start + k), mth(start + k, end)] : [...path(m - k, start + k, end), mth(start, start + k)];
}

/** The proof a plain RFC 9162 computation gives, base64url as the store answers. */
function referenceProof(index: number, size: number): string[] {
  return path(index, 0, size).map(toBase64Url);
}

/**
 * The log_nodes table of the tree, answering readSubtrees' statement; counts the statements and
 * records the subtrees asked. `delayed`: answers after one to three turns of the event loop, by
 * turns, as a real database does, so that other calls run while one waits and calls resume in
 * another order than they were made.
 */
function fakeDatabase(delayed = false): Sql & { statements: number; asked: Subtree[] } {
  const db = {
    statements: 0,
    asked: [] as Subtree[],
    async query<T>(_text: string, params?: unknown[]): Promise<T[]> {
      db.statements++;
      const [levels, indexes] = params as [number[], number[]];
      const wanted = levels.map((level, i) => ({ level, index: indexes[i]! }));
      db.asked.push(...wanted);
      for (let turns = delayed ? 1 + (db.statements % 3) : 0; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
      return wanted.map((s) => nodes.get(subtreeKey(s))!) as T[];
    },
  };
  return db;
}

function storeHolding(
  filter: (s: StoredSubtree) => boolean = () => true,
  options: { delayed?: boolean; cacheBytes?: number | undefined } = {},
): { store: SubtreeStore; db: ReturnType<typeof fakeDatabase> } {
  const db = fakeDatabase(options.delayed);
  const store = new SubtreeStore(db, options.cacheBytes);
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

  it('keeps a proof at an older size that waited on the database out of a newer size\'s shared hashes', async () => {
    // The older size's call misses a leaf and waits on the database; meanwhile the newer size's
    // call, served from the cache, becomes the largest size asked. When the older call resumes,
    // its upper hashes are not the newer tree's: deciding where to keep them before the wait
    // would file them under the newer size, and every later proof of that block there would be
    // wrong. Each pair has different upper hashes at the two sizes in that block.
    for (const [older, newer, block] of [
      [2049, LEAVES, 0],
      [1500, 2500, 1],
      [1025, 2049, 0],
    ] as const) {
      const first = block * BLOCK;
      const missing = { level: 0, index: first + 1 }; // the sibling of `first`, not on `first + 2`'s path
      const { store, db } = storeHolding((s) => subtreeKey(s) !== subtreeKey(missing), { delayed: true });
      const [atOlder, atNewer] = await Promise.all([store.inclusionProof(first, older), store.inclusionProof(first + 2, newer)]);
      expect(db.statements).toBe(1);
      expect(atOlder).toEqual(referenceProof(first, older));
      expect(atNewer).toEqual(referenceProof(first + 2, newer));
      await expectAllProofs(store, newer);
      await expectAllProofs(store, older);
    }
  });

  it('gives the RFC 9162 path when proofs at many sizes wait on the database at once', async () => {
    // Levels 0 and 1 missing: every call waits on the database, and all are in flight together.
    const { store } = storeHolding((s) => s.level >= 2, { delayed: true });
    for (const sizes of [[1500, LEAVES, 2049], [LEAVES, 2500, 1025], [2600, 2600, 2999]]) {
      const asked = sizes.flatMap((size) => [0, 1, 2, 1023, 1024, 1030, 2048, size - 1].filter((i) => i < size).map((index) => ({ index, size })));
      const proofs = await Promise.all(asked.map(({ index, size }) => store.inclusionProof(index, size)));
      proofs.forEach((proof, i) => expect(proof).toEqual(referenceProof(asked[i]!.index, asked[i]!.size)));
      for (const size of new Set(sizes)) await expectAllProofs(store, size);
    }
  });

  it('uses a block\'s shared hashes: a second proof in the block asks only for the subtrees below them', async () => {
    // A cache of no bytes holds nothing, so each proof reads from the database every subtree it
    // hashes itself; what a proof takes from the shared hashes is never asked for.
    const { store, db } = storeHolding(() => false, { cacheBytes: 0 });
    const size = 2500;
    for (const block of [0, 1, 2]) {
      const inBlock = (s: Subtree) => s.index * 2 ** s.level >= block * BLOCK && (s.index + 1) * 2 ** s.level <= (block + 1) * BLOCK;
      db.asked.length = 0;
      expect(await store.inclusionProof(block * BLOCK, size)).toEqual(referenceProof(block * BLOCK, size));
      const shared = sharedPathLength(block * BLOCK, size, 10);
      expect(shared).toBeGreaterThan(0);
      expect(db.asked.some((s) => !inBlock(s))).toBe(true); // the first makes the shared hashes
      for (const index of [block * BLOCK + 1, block * BLOCK + 300, Math.min(size, (block + 1) * BLOCK) - 1]) {
        db.asked.length = 0;
        expect(await store.inclusionProof(index, size)).toEqual(referenceProof(index, size));
        expect(db.asked.filter((s) => !inBlock(s))).toEqual([]);
        expect(db.asked.length).toBeGreaterThan(0);
      }
    }
  });

  it('agrees with RFC 9162 under seeded random batches: the latest size, older sizes and the next one racing, levels dropped', async () => {
    // After the review's fuzz (notes/review-look100k/fuzz-subtree.mjs), cut to run in about a
    // second. As on a server: lookups at the latest checkpoint's size, proofs at older sizes
    // (GET /v1/log/proof), and the next checkpoint's size, which then becomes the latest.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const index = (size: number) => (random(3) === 0 ? Math.max(0, size - 1 - random(1100)) : random(size));
    let checks = 0;
    for (const cacheBytes of [undefined, 2_000, 40_000]) {
      const keep = random(100);
      const { store } = storeHolding((s) => (s.index * 7 + s.level * 13) % 100 < keep, { delayed: true, cacheBytes });
      let latest = 1 + random(LEAVES / 2);
      for (let round = 0; round < 30; round++) {
        const next = Math.min(LEAVES, latest + 1 + random(400));
        const asked = Array.from({ length: 20 + random(20) }, () => {
          const kind = random(6);
          const size = kind === 0 ? 1 + random(latest) : kind === 1 ? next : latest;
          return { index: index(size), size };
        });
        const proofs = await Promise.all(asked.map((a) => store.inclusionProof(a.index, a.size)));
        proofs.forEach((proof, i) => expect(proof).toEqual(referenceProof(asked[i]!.index, asked[i]!.size)));
        checks += proofs.length;
        if (random(2) === 0) latest = next;
      }
    }
    expect(checks).toBeGreaterThan(1000);
  });
});
