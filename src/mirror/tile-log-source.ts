/**
 * A log read through its tiles (c2sp.org/tlog-tiles, DESIGN.md §5.3) and verified against a
 * signed checkpoint as it is read: the LogSource of a replay (src/ledger/replay.ts) for followers
 * that read a registry's tiles — from the registry, or from any cache or copy of them.
 *
 * For each entry bundle: its leaves' hashes, with the hashes the tiles give for the rest of the
 * tree, must rebuild the checkpoint's root (rootWithLeaves: an inclusion proof for the whole run
 * of leaves). Nothing of a bundle is yielded before that holds, so a bundle or a tile that is not
 * the signed log never reaches the replay. Consistency proofs between checkpoints are computed
 * from the tiles too. A bundle the server does not have (a leaf over 65,535 bytes cannot be
 * written in one) is read from the entries API instead and checked the same way.
 */
import type { LogSource } from '../ledger/index.js';
import { bytesEqual } from '../protocol/encoding.js';
import { canonicalJson, isJsonObject, parseJson, type JsonObject } from '../protocol/json.js';
import { logLeafBytes } from '../protocol/log-entry.js';
import { consistencyProofRanges, leafHash, rangeHash, subtreesFor, type Subtree } from '../protocol/merkle.js';
import { parseTimestamp } from '../protocol/time.js';
import { rootWithLeaves, subtreesAroundLeaves, tileKey, tileLookup, tilesForSubtrees, type TileSet } from '../protocol/tile-proofs.js';
import { bundleWidthAt, TILE_WIDTH } from '../protocol/tiles.js';
import { VerificationError } from '../sdk/errors.js';
import { EntriesBehind, type FetchedEntry } from './registry-feed.js';
import type { TileFetcher } from './tile-fetcher.js';

/** A checkpoint whose signature the caller verified. */
export interface TreeHead {
  size: number;
  root: Uint8Array;
}

/** Reads `count` entries from `start` another way (the entries API), for bundles the tile server lacks. */
export type EntriesFallback = (start: number, count: number) => Promise<FetchedEntry[]>;

export class TileLogSource implements LogSource {
  private current: TreeHead | null = null;
  /** Hash tiles at the width `head` gives them; dropped when the head changes. */
  private tiles: TileSet = new Map();
  private tilesSize = -1;

  constructor(
    readonly fetcher: TileFetcher,
    private readonly fallback: EntriesFallback,
  ) {}

  /** Entries read from now on are verified against `head` (a checkpoint the caller verified). */
  use(head: TreeHead): void {
    this.current = head;
  }

  /** The checkpoint entries are verified against. */
  get head(): TreeHead | null {
    return this.current;
  }

  /** The hashes of PROOF(from, D[0:to]) (RFC 9162 §2.1.4), from the tiles of the tree of `to`; unverified. */
  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    const ranges = consistencyProofRanges(from, to);
    const tiles = await this.tilesAt(to, subtreesFor(ranges));
    return ranges.map((range) => rangeHash(range, tileLookup(tiles)));
  }

  /** Entries `start` to `end - 1`, a bundle at a time, each bundle verified against the head. */
  async *pages(start: number, end: number): AsyncGenerator<FetchedEntry[]> {
    const head = this.head;
    if (head === null) throw new Error('TileLogSource: use(checkpoint) before reading entries');
    if (end > head.size) throw new EntriesBehind(head.size, end);
    for (let bundle = Math.floor(start / TILE_WIDTH); bundle * TILE_WIDTH < end; bundle++) {
      const first = bundle * TILE_WIDTH;
      const entries = await this.verifiedBundle(head, bundle);
      yield entries.slice(Math.max(0, start - first), end - first);
    }
  }

  /** Bundle `index` at its width in the head's tree, every leaf checked against the head's root. */
  private async verifiedBundle(head: TreeHead, index: number): Promise<FetchedEntry[]> {
    const first = index * TILE_WIDTH;
    const width = bundleWidthAt(index, head.size);
    const served = await this.fetcher.bundle(index, width);
    const leaves = served ?? (await this.fallback(first, width)).map((e) => logLeafBytes(e.acceptedAt, e.record));
    const tiles = await this.tilesAt(head.size, subtreesAroundLeaves(head.size, first, width));
    const root = rootWithLeaves(head.size, first, leaves.map(leafHash), tileLookup(tiles));
    if (!bytesEqual(root, head.root)) {
      throw new VerificationError('BAD_INCLUSION_PROOF', `entries ${first}–${first + width - 1} and the log's tiles do not give the root of the checkpoint of size ${head.size}`);
    }
    return leaves.map((leaf, i) => entryOf(first + i, leaf));
  }

  /** The hash tiles of the tree of `size` that hold `subtrees`, fetching those not held yet. */
  private async tilesAt(size: number, subtrees: Subtree[]): Promise<TileSet> {
    if (size !== this.tilesSize) {
      this.tiles = new Map();
      this.tilesSize = size;
    }
    const missing = tilesForSubtrees(subtrees, size).filter((t) => !this.tiles.has(tileKey(t.level as number, t.index)));
    const fetched = await Promise.all(missing.map((t) => this.fetcher.hashTile(t.level as number, t.index, t.width)));
    missing.forEach((t, i) => this.tiles.set(tileKey(t.level as number, t.index), fetched[i]!));
    return this.tiles;
  }
}

/** A leaf's entry: exactly JCS({ "acceptedAt", "record" }) (DESIGN.md §5), else the answer is not the log. */
function entryOf(index: number, leaf: Uint8Array): FetchedEntry {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(leaf);
    value = parseJson(text);
  } catch {
    return notALeaf(index);
  }
  if (!isJsonObject(value) || Object.keys(value).length !== 2 || typeof value['acceptedAt'] !== 'string' || !isJsonObject(value['record'])) return notALeaf(index);
  if (canonicalJson(value) !== text) return notALeaf(index);
  const acceptedAtMs = parseTimestamp(value['acceptedAt']) ?? notALeaf(index);
  return { index, acceptedAt: value['acceptedAt'], acceptedAtMs, record: value['record'] as JsonObject };
}

function notALeaf(index: number): never {
  throw new VerificationError('INVALID_RESPONSE', `entry ${index} is not a log leaf, JCS({ acceptedAt, record })`);
}
