/**
 * Perfect-subtree hashes, read from the database through an in-process cache. A completed
 * subtree never changes, so caching it is safe in any number of processes (DESIGN.md §9) — but
 * only once its transaction has committed: `remember` is called after commit, never before.
 */
import type { Sql } from './database.js';
import { readSubtreeLevel, readSubtrees } from './log-repository.js';
import { nodeBase64Url } from '../node/base64url.js';
import {
  consistencyProofRanges,
  EMPTY_ROOT,
  frontier,
  inclusionProofRanges,
  rangeHash,
  sharedPathLength,
  subtreeKey,
  subtreesFor,
  type LeafRange,
  type StoredSubtree,
  type Subtree,
} from '../protocol/merkle.js';
import { SubtreeCache } from './subtree-cache.js';

export interface Proof {
  hashes: string[];
}

/** Rows per statement when preloading. */
const PRELOAD_CHUNK = 50_000;

/**
 * The leaves of a block whose inclusion proofs share their hashes on the root's side
 * (merkle.ts, sharedPathLength), as a power of two: 2^10, so a proof in a tree of 100,000 leaves
 * takes its top 7 hashes (among them the right edge's, which are hashed from several subtrees)
 * from what an earlier proof of its block made, and makes only its 10 lowest.
 */
const SHARED_BITS = 10;
/** The most blocks whose shared hashes are kept for a size: 2^22 leaves' worth, about 4 MB of strings there (50 kB at 100,000 leaves); later blocks are made each time. */
const SHARED_BLOCKS = 4_096;

export class SubtreeStore {
  private readonly cache: SubtreeCache;
  /**
   * The shared upper hashes of inclusion proofs (SHARED_BITS) in the tree of the largest size
   * asked for so far, by block: lookups ask at the latest checkpoint's size, many times over, and
   * a tree of a given size never changes, so they stay right for as long as they are kept. A proof
   * at an older size (GET /v1/log/proof) is made without them and does not replace them.
   */
  private shared: { size: number; blocks: Map<number, string[]> } = { size: -1, blocks: new Map() };

  /** `cacheBytes`: the bound of the in-process cache (config SUBTREE_CACHE_BYTES). */
  constructor(
    private readonly db: Sql,
    cacheBytes?: number,
  ) {
    this.cache = new SubtreeCache(cacheBytes);
  }

  /** Adds committed subtrees to the cache. */
  remember(subtrees: readonly StoredSubtree[]): void {
    for (const s of subtrees) this.cache.set(s, s.hash);
  }

  /**
   * Reads the committed subtrees of the tree of `size` into the cache, highest levels first (the
   * smallest, and the ones every proof needs), PRELOAD_CHUNK rows a statement, until the cache
   * holds no more (it then drops the level being read, as it drops the lowest). Done at start, so
   * that a proof seldom needs a statement of its own: one per lookup miss was about a tenth of a
   * lookup's CPU through Prisma on Postgres, and ~8 ms on the embedded database, which runs
   * statements one at a time in this process.
   */
  async preload(size: number): Promise<void> {
    for (let level = size === 0 ? -1 : Math.floor(Math.log2(size)); level >= 0; level--) {
      for (let from = 0; ; ) {
        const rows = await readSubtreeLevel(this.db, level, from, PRELOAD_CHUNK);
        for (const s of rows) this.cache.set(s, s.hash);
        const last = rows.at(-1);
        if (last === undefined) break;
        if (this.cache.get(last) === undefined) return;
        if (rows.length < PRELOAD_CHUNK) break;
        from = last.index + 1;
      }
    }
  }

  /** The hashes of `subtrees`, from the cache or (for the rest, in one query) from `db`. */
  async read(subtrees: readonly Subtree[], db: Sql = this.db): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    const missing: Subtree[] = [];
    for (const s of subtrees) {
      const key = subtreeKey(s);
      const hash = this.cache.get(s);
      if (hash === undefined) missing.push(s);
      else found.set(key, hash);
    }
    for (const s of await readSubtrees(db, missing)) {
      const key = subtreeKey(s);
      // Rows read inside an uncommitted transaction are not cached; the caller remembers them later.
      if (db === this.db) this.cache.set(s, s.hash);
      found.set(key, s.hash);
    }
    if (found.size !== new Set(subtrees.map(subtreeKey)).size) {
      throw new Error('the log is missing subtree hashes it should have: run verify-log');
    }
    return found;
  }

  /** The right edge of the tree of `size`, for appending. */
  async frontier(size: number, db: Sql): Promise<StoredSubtree[]> {
    const edge = frontier(size);
    const hashes = await this.read(edge, db);
    return edge.map((s) => ({ ...s, hash: hashes.get(subtreeKey(s))! }));
  }

  /** Hashes of many ranges with one round trip for whatever the cache lacks. */
  async rangeHashes(rangeLists: readonly (readonly LeafRange[])[]): Promise<string[][]> {
    const hashes = await this.read(subtreesFor(rangeLists.flat()));
    const lookup = (s: Subtree) => hashes.get(subtreeKey(s))!;
    return rangeLists.map((ranges) => ranges.map((range) => nodeBase64Url(rangeHash(range, lookup))));
  }

  /** PATH(index, D[0:size]) (RFC 9162 §2.1.3.1) as base64url hashes, leaf side first. */
  async inclusionProof(index: number, size: number): Promise<string[]> {
    const ranges = inclusionProofRanges(index, size);
    const lower = ranges.length - sharedPathLength(index, size, SHARED_BITS);
    const block = Math.floor(index / 2 ** SHARED_BITS);
    const upper = size === this.shared.size ? this.shared.blocks.get(block) : undefined;
    const wanted = upper === undefined ? ranges : ranges.slice(0, lower);
    const hashes = this.heldRangeHashes(wanted) ?? (await this.rangeHashes([wanted]))[0]!;
    if (upper !== undefined) return hashes.concat(upper);
    if (size > this.shared.size) this.shared = { size, blocks: new Map() };
    if (size === this.shared.size && this.shared.blocks.size < SHARED_BLOCKS) this.shared.blocks.set(block, hashes.slice(lower));
    return hashes;
  }

  /**
   * The hashes of `ranges` from the cache alone, without a promise; null when it lacks any of their
   * subtrees. It gives up at the first range that lacks one, before hashing the rest: the cache
   * drops its lowest levels first, and the leaf side's ranges come first, so a proof that must go
   * to the database finds out before it hashes the right edge's ranges only to throw them away.
   */
  private heldRangeHashes(ranges: readonly LeafRange[]): string[] | null {
    let missing = false;
    const lookup = (s: Subtree) => {
      const hash = this.cache.get(s);
      if (hash !== undefined) return hash;
      missing = true;
      return EMPTY_ROOT;
    };
    const hashes: string[] = [];
    for (const range of ranges) {
      const hash = rangeHash(range, lookup);
      if (missing) return null;
      hashes.push(nodeBase64Url(hash));
    }
    return hashes;
  }

  async consistencyProof(from: number, to: number): Promise<string[]> {
    return (await this.rangeHashes([consistencyProofRanges(from, to)]))[0]!;
  }
}
