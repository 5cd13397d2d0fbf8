/**
 * Lookup bundles (DESIGN.md §6) for chains in the log — identities and groups — built for load:
 *
 * - A bundle is served in pages (§6, "Pages"): the chain from a given seq, cut by count and bytes,
 *   with `next` when it goes on; the summary, proof and checkpoint are the head's on every page.
 * - Concurrent lookups are coalesced (server/coalescer.ts): one statement per round reads the
 *   latest checkpoint, the asked-for heads and the pages the cache lacks, from one snapshot
 *   (db/chain-lookups.ts): of the read replica when it is as new as the primary, else of the
 *   primary (lookup-reads.ts). Each request is answered by a round that started after it arrived:
 *   nothing is served as latest that the database had not confirmed when it was asked (§9).
 * - A page of a chain at a given head index never changes (a recovery makes a new head with a new
 *   index), so its JSON is cached by head index in any number of processes, in a cache bounded by
 *   bytes (generational-cache.ts). Records are spliced in as their stored canonical text, which is
 *   valid JSON the registry verified before it accepted it, straight into the page's bytes
 *   (pages.ts); only the head is parsed, for the bundle's summary fields.
 * - Proofs come from the subtree cache and the key map (map-state.ts); the tail of the answer
 *   (inclusion proof, checkpoint, map proof) is kept with the page until another checkpoint note is
 *   read. Both proofs are against the checkpoint of the round that read the head, so a cached page
 *   never pairs with a proof or checkpoint it does not match: the page is keyed by its head's index,
 *   the round confirms that index with the checkpoint, the map of exactly that checkpoint's size
 *   proves the key, and the tail is keyed by the checkpoint's whole note.
 * - A missing chain is a 404 that proves its absence (§6): the round's checkpoint and the map's
 *   proof against it, as problem+json extension members.
 */
import type { ChainAsk, ChainPageRow, ChainTable } from '../../db/chain-lookups.js';
import { parseCheckpointNote } from '../../protocol/checkpoint.js';
import { bytesEqual, toBase64Url } from '../../protocol/encoding.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { KeyMap } from '../../protocol/key-map-tree.js';
import { encodeMapProof, type MapKey, type MapKeyKind } from '../../protocol/key-map.js';
import { formatTimestamp } from '../../protocol/time.js';
import { Coalescer } from '../coalescer.js';
import { GenerationalCache } from '../generational-cache.js';
import { ProblemError } from '../http/problem.js';
import { cutPage, jsonBuffer, MAX_PAGE_ITEMS, pageMembers, type PageBounds } from '../pages.js';
import type { SubtreeStore } from '../../db/subtree-store.js';
import type { LookupReads } from './lookup-reads.js';
import type { MapState } from './map-state.js';

/** What differs between kinds of chain. */
export interface ChainSource<R> {
  table: ChainTable;
  /** The bundle's fields before `entries` (e.g. userId and the head's keys), from the head record. */
  summary(id: string, head: R): Record<string, unknown>;
  /** What to call a missing one in a 404. */
  what: string;
}

interface CachedPage {
  headIndex: number;
  /** The page's JSON bytes up to and including the entries and `next`, without the closing brace. */
  prefix: Buffer;
  /** The rest of the last answer served — inclusion proof, checkpoint and map proof — and the checkpoint note it is for. */
  tail?: { checkpoint: string; bytes: Buffer };
}

/** What a tail may take: a proof of at most 64 hashes, a checkpoint note and a map proof (about 33 + 32·log2(n) + 49 bytes, in base64url). */
const TAIL_BYTES = 6144;

/** The pages of lookup bundles held in memory, identities' and groups' alike, bounded by bytes. */
export type LookupCache = GenerationalCache<string, CachedPage>;

export function lookupCache(bytes: number): LookupCache {
  return new GenerationalCache<string, CachedPage>({ entries: 20_000, bytes }, (page) => page.prefix.length + TAIL_BYTES);
}

/** How lookups and lists are served: the shared cache of lookup pages, and the page bound (DESIGN.md §6, "Pages"). */
export interface ReadBounds {
  cache: LookupCache;
  /** The most bytes of items a page holds (config PAGE_MAX_BYTES). */
  pageBytes: number;
  /** The key map at each recent log size, for the map proofs. */
  keyMap: MapState;
  /** Where each round reads: the primary, or the read replica when it is as new. */
  lookups: LookupReads;
}

/** The map key of a chain of each table. */
const MAP_KINDS: Record<ChainTable, MapKeyKind> = { identities: 'user', groups: 'group' };

/** What one round answers for a page: the page at the head (null: no such chain), and the checkpoint it read with it. */
interface Answer {
  page: CachedPage | null;
  /** null only on a mirror that has copied no checkpoint yet (then no chain exists either). */
  checkpoint: { size: number; note: string } | null;
}

/** How many rounds a lookup tries when each one's checkpoint is older than every map held (many writes meanwhile). */
const ROUNDS = 3;

export class ChainBundles<R> {
  private readonly rounds: Coalescer<string, Answer>;
  private readonly keyMap: MapState;
  /** The map root of the last note read (the latest checkpoint is the same note for many answers). */
  private lastNote: { note: string; mapRoot: Uint8Array | null } | null = null;

  constructor(
    private readonly subtrees: SubtreeStore,
    private readonly source: ChainSource<R>,
    reads: ReadBounds,
  ) {
    this.keyMap = reads.keyMap;
    const bounds: PageBounds = { maxItems: MAX_PAGE_ITEMS, maxBytes: reads.pageBytes };
    const cache = reads.cache;
    // Rounds are keyed by "<id> <start>"; the cache, which groups and identities share, by "<table> <id> <start>".
    const cacheKey = (key: string) => `${source.table} ${key}`;
    this.rounds = new Coalescer(async (keys) => {
      const held = keys.map((key) => cache.get(cacheKey(key)));
      const asks: ChainAsk[] = keys.map((key, at) => {
        const [id, start] = key.split(' ') as [string, string];
        return { id, start: Number(start), cachedHead: held[at]?.headIndex ?? -1 };
      });
      const { checkpoint, chains } = await reads.lookups.read(source.table, asks, bounds);
      // A head is committed with a checkpoint covering it (see chain-lookups.ts); a log without one has no heads either.
      if (checkpoint === null && chains.size > 0) throw new ProtocolError('UNAVAILABLE', 'the log has no checkpoint yet');
      const answers = new Map<string, Answer>(keys.map((key) => [key, { page: null, checkpoint }]));
      for (const [at, { headIndex, page }] of chains) {
        let cached = held[at];
        if (page !== null) {
          cached = { headIndex, prefix: this.prefix(asks[at]!.id, page.head, page.rows, bounds) };
          cache.set(cacheKey(keys[at]!), cached);
        }
        // `held` was current when page is null: the statement sends a page whenever it was not.
        answers.set(keys[at]!, { page: cached!, checkpoint });
      }
      return answers;
    });
  }

  /**
   * The page of `id`'s lookup bundle whose entries start at seq `start`, as JSON bytes; NOT_FOUND
   * when it has no chain, with the checkpoint and the map's proof of absence.
   */
  async bundleJson(id: string, start = 0): Promise<Buffer> {
    const key: MapKey = { kind: MAP_KINDS[this.source.table], id };
    for (let round = 1; ; round++) {
      const { page, checkpoint } = await this.rounds.get(`${id} ${start}`);
      if (checkpoint === null) throw new ProtocolError('NOT_FOUND', `no ${this.source.what} with this id`);
      if (page !== null && page.tail?.checkpoint === checkpoint.note) return Buffer.concat([page.prefix, page.tail.bytes]);
      const map = await this.mapOf(checkpoint);
      if (map === undefined) {
        // Writes moved the map past this round's checkpoint before it was proved: a new round reads a newer one.
        if (round < ROUNDS) continue;
        throw new ProtocolError('UNAVAILABLE', 'the log is moving faster than this lookup; retry');
      }
      const proof = map === null ? null : map.prove(key);
      if (page === null) {
        if (proof?.terminal.kind === 'present') throw new Error(`the key map holds ${this.source.what} ${id}, which its table does not`);
        const proven = proof === null ? {} : { checkpoint: checkpoint.note, mapProof: toBase64Url(encodeMapProof(proof)) };
        throw new ProblemError('NOT_FOUND', `no ${this.source.what} with this id`, proven);
      }
      if (proof !== null && (proof.terminal.kind !== 'present' || proof.terminal.value.index !== page.headIndex)) {
        throw new Error(`the key map's head of ${this.source.what} ${id} is not the head its table holds (log index ${page.headIndex})`);
      }
      const hashes = await this.subtrees.inclusionProof(page.headIndex, checkpoint.size);
      const mapProof = proof === null ? '' : `,"mapProof":"${toBase64Url(encodeMapProof(proof))}"`;
      const text = `,"proof":${JSON.stringify({ index: page.headIndex, size: checkpoint.size, hashes })},"checkpoint":${JSON.stringify(checkpoint.note)}${mapProof}}`;
      page.tail = { checkpoint: checkpoint.note, bytes: Buffer.from(text) };
      return Buffer.concat([page.prefix, page.tail.bytes]);
    }
  }

  /**
   * The map the checkpoint commits to: null for a note without the map line (a mirror of a
   * registry from before the key map: it has no root to prove against), undefined when the map of
   * its size is no longer held. A map root that is not the fold of the log (a mirror copying a
   * registry that lied) is never proved against.
   */
  private async mapOf(checkpoint: { size: number; note: string }): Promise<KeyMap | null | undefined> {
    if (this.lastNote?.note !== checkpoint.note) {
      this.lastNote = { note: checkpoint.note, mapRoot: parseCheckpointNote(checkpoint.note)?.mapRoot ?? null };
    }
    const signed = this.lastNote.mapRoot;
    if (signed === null) return null;
    const map = await this.keyMap.at(checkpoint.size);
    if (map === null) return undefined;
    if (!bytesEqual(map.root(), signed)) throw new ProtocolError('UNAVAILABLE', `the map root of the checkpoint of size ${checkpoint.size} is not the fold of this log`);
    return map;
  }

  private prefix(id: string, head: string, rows: ChainPageRow[], bounds: PageBounds): Buffer {
    const summary = JSON.stringify(this.source.summary(id, JSON.parse(head) as R));
    const opening = summary === '{}' ? '{' : `${summary.slice(0, -1)},`;
    const page = cutPage(
      rows,
      (e) => (e.record === null ? null : [`{"index":${e.index},"acceptedAt":"${formatTimestamp(e.acceptedAt!)}","record":`, e.record, '}']),
      (e) => e.seq,
      bounds,
    );
    return jsonBuffer([opening, ...pageMembers('entries', page)]);
  }
}
