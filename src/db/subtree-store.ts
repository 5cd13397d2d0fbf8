/**
 * Perfect-subtree hashes, read from the database through an in-process cache. A completed
 * subtree never changes, so caching it is safe in any number of processes (DESIGN.md §9) — but
 * only once its transaction has committed: `remember` is called after commit, never before.
 */
import type { Sql } from './database.js';
import { readSubtreeLevel, readSubtrees } from './log-repository.js';
import { toBase64Url } from '../protocol/encoding.js';
import {
  consistencyProofRanges,
  frontier,
  inclusionProofRanges,
  rangeHash,
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

export class SubtreeStore {
  private readonly cache: SubtreeCache;

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
    return rangeLists.map((ranges) => ranges.map((range) => toBase64Url(rangeHash(range, lookup))));
  }

  async inclusionProof(index: number, size: number): Promise<string[]> {
    return (await this.rangeHashes([inclusionProofRanges(index, size)]))[0]!;
  }

  async consistencyProof(from: number, to: number): Promise<string[]> {
    return (await this.rangeHashes([consistencyProofRanges(from, to)]))[0]!;
  }
}
