/**
 * Perfect-subtree hashes, read from the database through an in-process cache. A completed
 * subtree never changes, so caching it is safe in any number of processes (DESIGN.md §9) — but
 * only once its transaction has committed: `remember` is called after commit, never before.
 */
import type { DbClient } from './client.js';
import { readAllSubtrees, readSubtrees } from './log-repository.js';
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

export class SubtreeStore {
  private readonly cache: SubtreeCache;

  /** `cacheBytes`: the bound of the in-process cache (config SUBTREE_CACHE_BYTES). */
  constructor(
    private readonly db: DbClient,
    cacheBytes?: number,
  ) {
    this.cache = new SubtreeCache(cacheBytes);
  }

  /** Adds committed subtrees to the cache. */
  remember(subtrees: readonly StoredSubtree[]): void {
    for (const s of subtrees) this.cache.set(s, s.hash);
  }

  /**
   * Reads every committed subtree into the cache, in one statement, highest levels first (the
   * cache keeps what fits, §9): for a database where each statement is dear (the embedded one,
   * which runs them one at a time in this process), so that proofs need none.
   */
  async preload(): Promise<void> {
    for (const s of await readAllSubtrees(this.db)) this.cache.set(s, s.hash);
  }

  /** The hashes of `subtrees`, from the cache or (for the rest, in one query) from `db`. */
  async read(subtrees: readonly Subtree[], db: DbClient = this.db): Promise<Map<string, Uint8Array>> {
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
  async frontier(size: number, db: DbClient): Promise<StoredSubtree[]> {
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
