/**
 * Lookup bundles (DESIGN.md §6) for chains in the log — identities and groups — built for load:
 *
 * - A bundle is served in pages (§6, "Pages"): the chain from a given seq, cut by count and bytes,
 *   with `next` when it goes on; the summary, proof and checkpoint are the head's on every page.
 * - Concurrent lookups are coalesced (server/coalescer.ts): one statement per round reads the
 *   latest checkpoint, the asked-for heads and the pages the cache lacks, from one snapshot
 *   (db/chain-lookups.ts). Each request is answered by a round that started after it arrived:
 *   nothing is served as latest that the database had not confirmed when it was asked (§9).
 * - A page of a chain at a given head index never changes (a recovery makes a new head with a new
 *   index), so its JSON is cached by head index in any number of processes, in a cache bounded by
 *   bytes (generational-cache.ts). Records are spliced in as their stored canonical text, which is
 *   valid JSON the registry verified before it accepted it, straight into the page's bytes
 *   (pages.ts); only the head is parsed, for the bundle's summary fields.
 * - Proofs come from the subtree cache; the tail of the answer (proof and checkpoint) is kept
 *   with the page until a newer checkpoint is read.
 */
import type { Database } from '../../db/database.js';
import { readChainLookup, type ChainAsk, type ChainPageRow, type ChainTable } from '../../db/chain-lookups.js';
import { ProtocolError } from '../../protocol/errors.js';
import { formatTimestamp } from '../../protocol/time.js';
import { Coalescer } from '../coalescer.js';
import { GenerationalCache } from '../generational-cache.js';
import { cutPage, jsonBuffer, MAX_PAGE_ITEMS, pageMembers, type PageBounds } from '../pages.js';
import type { SubtreeStore } from '../../db/subtree-store.js';

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
  /** The rest of the last answer served — proof and checkpoint — and the checkpoint it is for. */
  tail?: { checkpoint: string; bytes: Buffer };
}

/** What a tail may take: a proof of at most 64 hashes and a checkpoint note. */
const TAIL_BYTES = 4096;

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
}

/** What one round answers for a page of a chain that exists: the page at the head, and a checkpoint covering it. */
interface Answer {
  page: CachedPage;
  checkpoint: { size: number; note: string };
}

export class ChainBundles<R> {
  private readonly rounds: Coalescer<string, Answer | undefined>;

  constructor(
    db: Database,
    private readonly subtrees: SubtreeStore,
    private readonly source: ChainSource<R>,
    reads: ReadBounds,
  ) {
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
      const { checkpoint, chains } = await readChainLookup(db, source.table, asks, bounds);
      // A head is committed with a checkpoint covering it (see chain-lookups.ts); a log without one has no heads either.
      if (checkpoint === null && chains.size > 0) throw new ProtocolError('UNAVAILABLE', 'the log has no checkpoint yet');
      const answers = new Map<string, Answer>();
      for (const [at, { headIndex, page }] of chains) {
        let cached = held[at];
        if (page !== null) {
          cached = { headIndex, prefix: this.prefix(asks[at]!.id, page.head, page.rows, bounds) };
          cache.set(cacheKey(keys[at]!), cached);
        }
        // `held` was current when page is null: the statement sends a page whenever it was not.
        answers.set(keys[at]!, { page: cached!, checkpoint: checkpoint! });
      }
      return answers;
    });
  }

  /** The page of `id`'s lookup bundle whose entries start at seq `start`, as JSON bytes; NOT_FOUND when it has no chain. */
  async bundleJson(id: string, start = 0): Promise<Buffer> {
    const answer = await this.rounds.get(`${id} ${start}`);
    if (answer === undefined) throw new ProtocolError('NOT_FOUND', `no ${this.source.what} with this id`);
    const { page, checkpoint } = answer;
    if (page.tail?.checkpoint !== checkpoint.note) {
      const hashes = await this.subtrees.inclusionProof(page.headIndex, checkpoint.size);
      const text = `,"proof":${JSON.stringify({ index: page.headIndex, size: checkpoint.size, hashes })},"checkpoint":${JSON.stringify(checkpoint.note)}}`;
      page.tail = { checkpoint: checkpoint.note, bytes: Buffer.from(text) };
    }
    return Buffer.concat([page.prefix, page.tail.bytes]);
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
