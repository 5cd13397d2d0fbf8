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
 * - A registry that is its log's only writer (the embedded database, §9) knows the latest
 *   checkpoint without asking: its writer's newest commit. A page it holds whose proofs are
 *   against that checkpoint's tree, or whose head the map of that size still names, is answered
 *   without a round, and so is an id that map does not hold (a 404 with its proof of absence); its
 *   writer hands over each batch it commits, so the first pages of the chains it wrote are held at
 *   their new heads (handOver). Anything else goes to a round as above.
 * - A page of a chain at a given head index never changes (a recovery makes a new head with a new
 *   index), so its JSON is cached by head index in any number of processes, in a cache bounded by
 *   bytes (generational-cache.ts). Records are spliced in as their stored canonical text, which is
 *   valid JSON the registry verified before it accepted it, straight into the page's bytes
 *   (pages.ts); only the head is parsed, for the bundle's summary fields.
 * - Proofs come from the subtree cache and the key map (map-state.ts). The inclusion proof and the
 *   map proof of the last answer are kept with the page, keyed by the tree they prove against
 *   (size, log root, map root), not by the note: a checkpoint re-signed at the same size (a new
 *   time line, every CHECKPOINT_INTERVAL_SECONDS) keeps them, and its note is spliced in between.
 *   The whole answer with the last note it was served with, and its ETag, is kept too: a lookup
 *   of an unchanged chain at an unchanged checkpoint is answered with no proof, copy or hash.
 *   A page gets proofs against a tree only from a round whose checkpoint is of that tree and that
 *   confirmed the page's head index (or, on the only writer, from the map of that size), so a
 *   cached page never pairs with a proof or checkpoint it does not match.
 * - A missing chain is a 404 that proves its absence (§6): the round's checkpoint (on the only
 *   writer, its newest commit's) and the map's proof against it, as problem+json extension members.
 */
import { readFirstPages, type ChainAsk, type ChainPageRow, type ChainTable } from '../../db/chain-lookups.js';
import type { Database } from '../../db/database.js';
import { nodeBase64Url } from '../../node/base64url.js';
import { parseCheckpointNote } from '../../protocol/checkpoint.js';
import { bytesEqual, toBase64Url } from '../../protocol/encoding.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { KeyMap } from '../../protocol/key-map-tree.js';
import { encodeMapProof, type MapKey, type MapKeyKind, type MapProof } from '../../protocol/key-map.js';
import { formatTimestamp } from '../../protocol/time.js';
import { Coalescer } from '../coalescer.js';
import { GenerationalCache, KEY_OVERHEAD } from '../generational-cache.js';
import { strongEtag } from '../http/caching.js';
import { ProblemError } from '../http/problem.js';
import { RECORD_ITEM_OVERHEAD } from '../../db/pages.js';
import { cutPage, MAX_PAGE_ITEMS, ownedJsonBuffer, pageMembers, type PageBounds } from '../pages.js';
import type { StoredCheckpoint } from '../../db/log-repository.js';
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

/**
 * A page of a chain's lookup bundle at one head index, as the lookup cache holds it. Each cold
 * lookup adds one, and V8's young-generation collections copy every object a page holds until
 * they promote it (the most of a cold lookup's collector time at 100,000 identities): so a page
 * is this object, one Buffer and plain fields, and the views of its parts (prefix, proofs) are
 * made only where they are used, when an answer is made. For the same reason a page that ends its
 * chain holds its PageEnd's fields itself, not an object of them, and its key is a flat string
 * (cacheKey): every full collection of V8's heap marks each object of each held page, and at
 * 100,000 held pages that marking was a large part of a lookup's CPU. Its fields are readonly: the
 * cache charges a page again when it leaves, so what it is charged for must not change while it is
 * held (generational-cache.ts); a page with another answer is a new page.
 */
interface CachedPage extends Readonly<Partial<PageEnd>> {
  readonly headIndex: number;
  /**
   * The page's JSON bytes up to and including the entries and `next`, without the closing brace
   * (its prefix); with `note` set, the last answer served with the page, whole, which begins with
   * the prefix and then holds the proofs and the note as answer() splices them (`,"proof":…`,
   * `,"checkpoint":…` at noteAt, `,"mapProof":…}` or `}` at mapAt).
   */
  readonly bytes: Buffer;
  /** The prefix's length in `bytes`. */
  readonly prefixLength: number;
  /**
   * With the last answer: the note it holds (served again as it is while that note is the latest
   * — no proof, no copy, no hash), its ETag, the tree its proofs are against (NoteParts.tree: they
   * serve any note of that tree), and where its checkpoint and map proof members begin.
   */
  readonly note?: string;
  readonly etag?: string;
  readonly tree?: string;
  readonly noteAt?: number;
  readonly mapAt?: number;
}

/** A lookup's answer: its JSON bytes and their ETag (http/caching.ts, strongEtag). */
export interface LookupAnswer {
  body: Buffer;
  etag: string;
}

/**
 * The shape of a page that ends its chain (no `next`), so that the next record can be added
 * without reading the page again (ChainBundles.handOver): set, all three, on such a page only.
 */
interface PageEnd {
  /** The offset in the prefix of `"entries":[`, after the summary. */
  entriesAt: number;
  items: number;
  /** The items' sizes as the database's cut estimates them (db/pages.ts: the record's bytes + RECORD_ITEM_OVERHEAD). */
  estimatedBytes: number;
}

/**
 * A record committed by this process's log writer, as the writer hands it over on the only writer
 * (LogWriter.handOverCommitted): what the lookup pages of its chain hold of it.
 */
export interface CommittedRecord {
  index: number;
  /** ms since the epoch, as stored. */
  acceptedAt: number;
  /** The canonical text stored in the log entry. */
  record: string;
  /** What the record did to its chain (ledger Decision.change): a recovery drops records from the live chain. */
  change: 'genesis' | 'update' | 'recovery';
  key: MapKey;
}

/**
 * The proofs of a page's head against one tree, as the answer's JSON members around its checkpoint:
 * `,"proof":{…}` before it and `,"mapProof":"…"}` after it (only `}` against a checkpoint without a
 * map root). Both depend on the tree alone, whichever note of it is served: made as text (prove),
 * or views of a held answer's bytes (heldProofs).
 */
interface PageProofs {
  inclusion: string | Buffer;
  map: string | Buffer;
}

/** What an answer takes from a checkpoint note, worked out once per note. */
interface NoteParts {
  note: string;
  size: number;
  /** The tree the note signs, "<size> <log root> <map root or ->": what the proofs of an answer with it are against. */
  tree: string;
  /** null for a note without the map line (a mirror of a registry from before the key map). */
  mapRoot: Uint8Array | null;
  /** `,"checkpoint":"<note>"`. */
  member: Buffer;
}

/** The pages of lookup bundles held in memory, identities' and groups' alike, bounded by bytes. */
export type LookupCache = GenerationalCache<string, CachedPage>;

/**
 * Each page is charged what it holds: its bytes, and the note and ETag kept with them when they
 * are an answer. The pages answered with one note mostly share its string (partsOf keeps one per
 * note), yet each is charged its length: the simplest charge that leaves nothing held out of the bound.
 */
export function lookupCache(bytes: number): LookupCache {
  return new GenerationalCache<string, CachedPage>({ entries: lookupCacheEntries(bytes), bytes }, ({ bytes: held, note, etag }) => held.length + (note?.length ?? 0) + (etag?.length ?? 0));
}

/**
 * The most pages a lookup cache of `bytes` holds: its bytes bound it, not a count (a fixed count
 * of 50,000 held only half of 100,000 identities' first pages, whatever LOOKUP_CACHE_BYTES said).
 * Every entry is charged at least KEY_OVERHEAD, so the count follows from the bytes; it is kept
 * under what one of V8's Maps holds (2^24 entries) for each generation.
 */
export function lookupCacheEntries(bytes: number): number {
  return Math.max(2, Math.min(2 ** 24, Math.floor(bytes / KEY_OVERHEAD)));
}

/** How lookups and lists are served: the shared cache of lookup pages, and the page bound (DESIGN.md §6, "Pages"). */
export interface ReadBounds {
  cache: LookupCache;
  /** The most bytes of items a page holds (config PAGE_MAX_BYTES). */
  pageBytes: number;
  /** The key map at each recent log size, for the map proofs. */
  keyMap: MapState;
  /**
   * Set only where this process is the log's only writer (the embedded database, DESIGN.md §9):
   * the newest checkpoint it committed, which is then the latest, so a lookup it can answer from
   * memory needs no round. Never where another process may append (Postgres, a mirror's copy),
   * nor where witnesses' cosignatures are appended to the stored note (WITNESSES).
   */
  soleWriterLatest?: () => StoredCheckpoint | null;
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

/**
 * Chains read per statement when preloading: small enough that one statement's aggregate stays
 * small in PGlite's memory. (At 10,000 identities on the embedded database, single bench runs on a
 * loaded machine: ready in 7.8 s with 2,000 a statement, 5.0 s and 2.4 s with 250, 4.8 s and
 * 3.4 s without the preload — within the noise of that machine.)
 */
const PRELOAD_CHAINS = 250;

/** How many rounds a lookup tries when each one's checkpoint is older than every map held (many writes meanwhile). */
const ROUNDS = 3;

export class ChainBundles<R> {
  private readonly rounds: Coalescer<string, Answer>;
  private readonly cache: LookupCache;
  private readonly keyMap: MapState;
  private readonly soleWriterLatest: (() => StoredCheckpoint | null) | undefined;
  private readonly bounds: PageBounds;
  /** The parts of the last note read (the latest checkpoint is the same note for many answers). */
  private lastNote: NoteParts | null = null;

  constructor(
    private readonly subtrees: SubtreeStore,
    private readonly source: ChainSource<R>,
    reads: ReadBounds,
  ) {
    this.cache = reads.cache;
    this.keyMap = reads.keyMap;
    this.soleWriterLatest = reads.soleWriterLatest;
    const bounds: PageBounds = { maxItems: MAX_PAGE_ITEMS, maxBytes: reads.pageBytes };
    this.bounds = bounds;
    const cache = reads.cache;
    this.rounds = new Coalescer(async (keys) => {
      const held = keys.map((key) => cache.get(this.cacheKey(key)));
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
          cached = this.page(asks[at]!.id, headIndex, page.head, page.rows, bounds);
          const cacheKey = this.cacheKey(keys[at]!);
          if (!this.newerHeld(cacheKey, cached)) cache.set(cacheKey, cached);
        }
        // `held` was current when page is null: the statement sends a page whenever it was not.
        answers.set(keys[at]!, { page: cached!, checkpoint });
      }
      return answers;
    });
  }

  /**
   * Fills the lookup cache with the first pages (start 0) of this kind's chains, in id order,
   * PRELOAD_CHAINS a statement, until its young generation is full (half of its capacity, see
   * GenerationalCache.setIfRoom); returns how many pages it read into it. Done at start, so that a restarted registry does not answer its first lookup of each
   * chain with a round: a page at a head index never changes, and is served only once the latest
   * checkpoint (the sole writer's newest commit, or a round's) names that head (DESIGN.md §9).
   */
  async preload(db: Pick<Database, 'query'>): Promise<number> {
    let held = 0;
    for (let after = ''; ; ) {
      const chains = await readFirstPages(db, this.source.table, after, PRELOAD_CHAINS, this.bounds);
      for (const chain of chains) {
        const page = this.page(chain.id, chain.headIndex, chain.head, chain.rows, this.bounds);
        const key = this.cacheKey(`${chain.id} 0`);
        if (this.newerHeld(key, page)) continue;
        if (!this.cache.setIfRoom(key, page)) return held;
        held++;
      }
      if (chains.length < PRELOAD_CHAINS) return held;
      after = chains.at(-1)!.id;
    }
  }

  /**
   * The page of `id`'s lookup bundle whose entries start at seq `start`, as JSON bytes with their
   * ETag; NOT_FOUND when it has no chain, with the checkpoint and the map's proof of absence.
   */
  async bundleJson(id: string, start = 0): Promise<LookupAnswer> {
    // Rounds are keyed by "<id> <start>"; the cache, which groups and identities share, by "<table> <id> <start>".
    const key = `${id} ${start}`;
    const mapKey: MapKey = { kind: MAP_KINDS[this.source.table], id };
    const remembered = await this.fromMemory(key, mapKey);
    if (remembered !== null) return remembered;
    for (let round = 1; ; round++) {
      const { page, checkpoint } = await this.rounds.get(key);
      if (checkpoint === null) throw new ProtocolError('NOT_FOUND', `no ${this.source.what} with this id`);
      const note = this.partsOf(checkpoint);
      if (page !== null && page.tree === note.tree) return this.answer(key, page, 'held', note);
      const map = await this.mapOf(note);
      if (map === undefined) {
        // Writes moved the map past this round's checkpoint before it was proved: a new round reads a newer one.
        if (round < ROUNDS) continue;
        throw new ProtocolError('UNAVAILABLE', 'the log is moving faster than this lookup; retry');
      }
      const proof = map === null ? null : map.prove(mapKey);
      if (page === null) {
        if (proof?.terminal.kind === 'present') throw new Error(`the key map holds ${this.source.what} ${id}, which its table does not`);
        if (proof === null) throw new ProblemError('NOT_FOUND', `no ${this.source.what} with this id`, {});
        throw absent(this.source.what, note, proof);
      }
      if (proof !== null && (proof.terminal.kind !== 'present' || proof.terminal.value.index !== page.headIndex)) {
        throw new Error(`the key map's head of ${this.source.what} ${id} is not the head its table holds (log index ${page.headIndex})`);
      }
      return this.answer(key, page, await this.prove(page, note, proof), note);
    }
  }

  /**
   * The answer without a round, where this process is the log's only writer: its newest commit is
   * the latest checkpoint, so a page at the head that checkpoint's map names is current, and a key
   * that map does not hold has no chain (§9: no write acknowledged before the request is missing
   * from it): its 404 carries the map's proof of absence. Null when a round must answer: no
   * checkpoint committed yet, the map of its size not held, or the map names a head whose page is
   * not held.
   */
  private async fromMemory(key: string, mapKey: MapKey): Promise<LookupAnswer | null> {
    const latest = this.soleWriterLatest?.() ?? null;
    if (latest === null) return null;
    const page = this.cache.get(this.cacheKey(key));
    // The answer was made with this very note, so with proofs against its tree (below).
    if (page !== undefined && page.note === latest.note) return heldAnswer(page);
    const note = this.partsOf(latest);
    // Proofs against this tree were made for the head a round (or the map) confirmed at its size.
    if (page !== undefined && page.tree === note.tree) return this.answer(key, page, 'held', note);
    const map = await this.mapOf(note);
    if (map === null || map === undefined) return null;
    if (page === undefined) {
      if (map.get(mapKey) === null) throw absent(this.source.what, note, map.prove(mapKey));
      return null;
    }
    // One walk of the map for a held page: its proof names the head (or proves the key absent). A
    // stale page (its chain moved on without a hand-over of this page: a recovery, a page after
    // the first) thus pays for a whole map proof before it falls back to a round. The right trade:
    // the common case is a current page (the writer hands over the first pages at the heads it
    // moves), which a look at the head before the proof would walk twice.
    const proof = map.prove(mapKey);
    if (proof.terminal.kind !== 'present') throw absent(this.source.what, note, proof);
    if (proof.terminal.value.index !== page.headIndex) return null;
    return this.answer(key, page, await this.prove(page, note, proof), note);
  }

  /** The page's proofs against the note's tree (kept with it as views of its answer: see answer). */
  private async prove(page: CachedPage, note: NoteParts, proof: MapProof | null): Promise<PageProofs> {
    const hashes = await this.subtrees.inclusionProof(page.headIndex, note.size);
    return {
      inclusion: `,"proof":${JSON.stringify({ index: page.headIndex, size: note.size, hashes })}`,
      map: proof === null ? '}' : `,"mapProof":"${nodeBase64Url(encodeMapProof(proof))}"}`,
    };
  }

  /**
   * The answer of the page with its proofs and the note between them (the members in the order of
   * §6), made once per note: kept with the page, if the cache still holds it, as one Buffer that
   * owns its memory (pages.ts, ownedJsonBuffer) and that holds the page's prefix and proofs
   * (CachedPage). A new entry, not the held one changed in place: the cache charges an entry when it is set.
   * `made`: the proofs just made, or 'held' for those of the answer the page holds (its tree is
   * the note's), read out of it only when a new note is spliced in, not on every hit.
   * The waiters of one round hold the page object the round read, and the first of them to answer
   * replaces it in the cache with one that holds its answer: the others take that answer, as a
   * page at one head index is the same page whichever object holds it.
   */
  private answer(key: string, page: CachedPage, made: PageProofs | 'held', note: NoteParts): LookupAnswer {
    if (page.note === note.note) return heldAnswer(page);
    const cacheKey = this.cacheKey(key);
    const held = this.cache.get(cacheKey);
    if (held !== undefined && held.headIndex === page.headIndex && held.note === note.note) return heldAnswer(held);
    const proofs = made === 'held' ? heldProofs(page) : made;
    const prefix = page.prefixLength === page.bytes.length ? page.bytes : page.bytes.subarray(0, page.prefixLength);
    const body = ownedJsonBuffer([prefix, proofs.inclusion, note.member, proofs.map]);
    const etag = strongEtag(body);
    if (held === page) {
      const noteAt = page.prefixLength + byteLength(proofs.inclusion);
      const { headIndex, prefixLength } = page;
      this.cache.set(cacheKey, { headIndex, bytes: body, prefixLength, ...endOf(page), note: note.note, etag: flat(etag), tree: note.tree, noteAt, mapAt: noteAt + note.member.length });
    }
    return { body, etag };
  }

  /**
   * Whether the cache holds a page at a newer head than `page`, which a statement read: a round's
   * (or the preload's) snapshot may predate a commit whose page the writer handed over meanwhile;
   * a chain's head index only increases, so the newer page is kept.
   */
  private newerHeld(key: string, page: CachedPage): boolean {
    return (this.cache.get(key)?.headIndex ?? -1) > page.headIndex;
  }

  /** The cache's key: flat (see flat), as the cache keeps it. */
  private cacheKey(key: string): string {
    return [this.source.table, key].join(' ');
  }

  private partsOf(checkpoint: { size: number; note: string }): NoteParts {
    if (this.lastNote?.note !== checkpoint.note) {
      const parsed = parseCheckpointNote(checkpoint.note);
      if (parsed === null || parsed.size !== checkpoint.size) throw new Error(`the stored checkpoint of size ${checkpoint.size} is not a checkpoint note of that size`);
      const mapRoot = parsed.mapRoot ?? null;
      this.lastNote = {
        note: checkpoint.note,
        size: checkpoint.size,
        tree: `${checkpoint.size} ${toBase64Url(parsed.root)} ${mapRoot === null ? '-' : toBase64Url(mapRoot)}`,
        mapRoot,
        member: Buffer.from(`,"checkpoint":${JSON.stringify(checkpoint.note)}`),
      };
    }
    return this.lastNote;
  }

  /**
   * The map the checkpoint commits to: null for a note without the map line (a mirror of a
   * registry from before the key map: it has no root to prove against), undefined when the map of
   * its size is no longer held. A map root that is not the fold of the log (a mirror copying a
   * registry that lied) is never proved against.
   */
  private async mapOf(note: NoteParts): Promise<KeyMap | null | undefined> {
    if (note.mapRoot === null) return null;
    const map = await this.keyMap.at(note.size);
    if (map === null) return undefined;
    if (!bytesEqual(map.root(), note.mapRoot)) throw new ProtocolError('UNAVAILABLE', `the map root of the checkpoint of size ${note.size} is not the fold of this log`);
    return map;
  }

  /** The page of chain `id` at head `headIndex` (head record `head`) from the rows a statement read, cut by `bounds`. */
  private page(id: string, headIndex: number, head: string, rows: ChainPageRow[], bounds: PageBounds): CachedPage {
    const opening = this.opening(id, head);
    const page = cutPage(rows, (e) => (e.record === null ? null : itemOf(e.index!, e.acceptedAt!, e.record)), (e) => e.seq, bounds);
    const prefix = ownedJsonBuffer([opening, ...pageMembers('entries', page)]);
    if (page.next !== undefined) return prefixed(headIndex, prefix);
    const estimatedBytes = rows.reduce((sum, e) => sum + (e.record === null ? 0 : Buffer.byteLength(e.record) + RECORD_ITEM_OVERHEAD), 0);
    return prefixed(headIndex, prefix, { entriesAt: Buffer.byteLength(opening), items: page.items.length, estimatedBytes });
  }

  /** The bundle's JSON before `"entries"`: the summary of the head record's text, its object left open. */
  private opening(id: string, head: string): string {
    const summary = JSON.stringify(this.source.summary(id, JSON.parse(head) as R));
    return summary === '{}' ? '{' : `${summary.slice(0, -1)},`;
  }

  /**
   * On the only writer (DESIGN.md §9), the records of a batch its log writer committed, in log
   * order, handed over before any of them is acknowledged, with the size of the log before the
   * batch: the first page (from seq 0) of each chain they created or extended, at its new head, so
   * that a lookup of a chain just written is answered from memory too. The page is the one a round
   * would read — the same items, cut by the same rule as the database's cut (db/pages.ts), which
   * is never looser than the exact one — and is served, like any held page, only while the map of
   * the latest checkpoint names its head. A record that extends a chain is added only to a held
   * page at the chain's previous head that ends the chain; a recovery (it drops records from the
   * live chain) and anything else is left to a round.
   */
  handOver(sizeBefore: number, records: readonly CommittedRecord[]): void {
    const kind = MAP_KINDS[this.source.table];
    const before = this.keyMap.held(sizeBefore);
    /** Heads moved by earlier records of this batch. */
    const moved = new Map<string, number>();
    for (const committed of records) {
      if (committed.key.kind !== kind) continue;
      const id = committed.key.id;
      const previous = moved.has(id) ? moved.get(id)! : (before?.get(committed.key)?.index ?? null);
      moved.set(id, committed.index);
      const page = this.extended(id, committed, previous);
      if (page !== null) this.cache.set(this.cacheKey(`${id} 0`), page);
    }
  }

  /** The first page of the chain with `committed` as its head, or null when it cannot be made from what is held. */
  private extended(id: string, committed: CommittedRecord, previous: number | null): CachedPage | null {
    const { index, acceptedAt, record } = committed;
    const opening = this.opening(id, record);
    const item = itemOf(index, acceptedAt, record);
    const estimated = Buffer.byteLength(record) + RECORD_ITEM_OVERHEAD;
    if (committed.change === 'genesis') {
      return prefixed(index, ownedJsonBuffer([opening, '"entries":[', ...item, ']']), { entriesAt: Buffer.byteLength(opening), items: 1, estimatedBytes: estimated });
    }
    if (committed.change !== 'update' || previous === null) return null;
    const held = this.cache.get(this.cacheKey(`${id} 0`));
    if (held === undefined || held.headIndex !== previous) return null;
    const end = endOf(held);
    if (end === undefined) return null;
    const { entriesAt, items, estimatedBytes } = end;
    // The held items without the closing `]`, copied as bytes (not made a string as large as the page).
    const entries = held.bytes.subarray(entriesAt, held.prefixLength - 1);
    const fits = items === 0 || (items < this.bounds.maxItems && estimatedBytes + estimated <= this.bounds.maxBytes);
    if (!fits) return prefixed(index, ownedJsonBuffer([opening, entries, `],"next":${seqOf(record)}`]));
    return prefixed(index, ownedJsonBuffer([opening, entries, ...(items === 0 ? [] : [',']), ...item, ']']), {
      entriesAt: Buffer.byteLength(opening),
      items: items + 1,
      estimatedBytes: estimatedBytes + estimated,
    });
  }
}

/** A page of its prefix alone, at head `headIndex`. */
function prefixed(headIndex: number, prefix: Buffer, end?: PageEnd): CachedPage {
  return { headIndex, bytes: prefix, prefixLength: prefix.length, ...end };
}

/** The end of a page that ends its chain, undefined for one that goes on. */
function endOf({ entriesAt, items, estimatedBytes }: CachedPage): PageEnd | undefined {
  return entriesAt === undefined ? undefined : { entriesAt, items: items!, estimatedBytes: estimatedBytes! };
}

/**
 * `text` as one flat string. A string made by concatenation (a template literal) is a tree of
 * V8 objects, its parts (and a substring keeps its whole parent): kept in the lookup cache, each
 * would be one more object for every full collection to mark. Array.prototype.join of two
 * non-empty parts makes a flat one (of one, V8 returns that part as it is).
 */
function flat(text: string): string {
  return text.length < 2 ? text : [text.slice(0, 1), text.slice(1)].join('');
}

/** The answer a page holds (its `note` is set). */
function heldAnswer(page: CachedPage): LookupAnswer {
  return { body: page.bytes, etag: page.etag! };
}

/** The proofs of the answer a page holds, as views of its bytes (its `tree` is set). */
function heldProofs(page: CachedPage): PageProofs {
  return { inclusion: page.bytes.subarray(page.prefixLength, page.noteAt), map: page.bytes.subarray(page.mapAt) };
}

/** The UTF-8 length of a part of an answer. */
function byteLength(part: string | Buffer): number {
  return typeof part === 'string' ? Buffer.byteLength(part) : part.length;
}

/** The 404 of a chain the map proves absent (DESIGN.md §6): the checkpoint and the proof, as extension members. */
function absent(what: string, note: NoteParts, proof: MapProof): ProblemError {
  return new ProblemError('NOT_FOUND', `no ${what} with this id`, { checkpoint: note.note, mapProof: toBase64Url(encodeMapProof(proof)) });
}

/** A chain page's item: the record as stored, with its log index and acceptance time. */
function itemOf(index: number, acceptedAt: number, record: string): string[] {
  return [`{"index":${index},"acceptedAt":"${formatTimestamp(acceptedAt)}","record":`, record, '}'];
}

/** The `seq` of a chained record's text. */
function seqOf(record: string): number {
  return (JSON.parse(record) as { seq: number }).seq;
}

