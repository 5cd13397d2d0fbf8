/**
 * Lookup bundles (DESIGN.md §6) for chains in the log — identities and groups — built for load:
 *
 * - Concurrent lookups are coalesced (server/coalescer.ts): one statement per round reads the
 *   latest checkpoint, the asked-for heads and the chains the cache lacks, from one snapshot
 *   (db/chain-lookups.ts). Each request is answered by a round that started after it arrived:
 *   nothing is served as latest that the database had not confirmed when it was asked (§9).
 * - A chain up to a given head index never changes (a recovery makes a new head with a new
 *   index), so its JSON is cached by head index in any number of processes. Records are spliced
 *   in as their stored canonical text, which is valid JSON the registry verified before it
 *   accepted it; only the head is parsed, for the bundle's summary fields.
 * - Proofs come from the subtree cache; the tail of the answer (proof and checkpoint) is kept
 *   with the chain until a newer checkpoint is read.
 */
import type { Database } from '../../db/database.js';
import { readChainLookup, type ChainTable, type StoredChainEntry } from '../../db/chain-lookups.js';
import { ProtocolError } from '../../protocol/errors.js';
import { formatTimestamp } from '../../protocol/time.js';
import { Coalescer } from '../coalescer.js';
import { GenerationalCache } from '../generational-cache.js';
import type { SubtreeStore } from '../../db/subtree-store.js';

/** What differs between kinds of chain. */
export interface ChainSource<R> {
  table: ChainTable;
  /** The bundle's fields before `entries` (e.g. userId and the head's keys), from the head record. */
  summary(id: string, head: R): Record<string, unknown>;
  /** What to call a missing one in a 404. */
  what: string;
}

interface CachedChain {
  headIndex: number;
  /** The bundle's JSON up to and including the entries, without the closing brace. */
  prefix: string;
  /** The rest of the last bundle served — proof and checkpoint — and the checkpoint it is for. */
  tail?: { checkpoint: string; text: string };
}

/** What one round answers for an id that has a chain: the chain at its head, and a checkpoint covering it. */
interface Answer {
  chain: CachedChain;
  checkpoint: { size: number; note: string };
}

export class ChainBundles<R> {
  private readonly cache: GenerationalCache<string, CachedChain>;
  private readonly rounds: Coalescer<string, Answer | undefined>;

  constructor(
    db: Database,
    private readonly subtrees: SubtreeStore,
    private readonly source: ChainSource<R>,
    capacity = 20_000,
  ) {
    this.cache = new GenerationalCache(capacity);
    this.rounds = new Coalescer(async (ids) => {
      const held = new Map(ids.map((id) => [id, this.cache.get(id)]));
      const { checkpoint, chains } = await readChainLookup(
        db,
        source.table,
        ids.map((id) => ({ id, cachedHead: held.get(id)?.headIndex ?? -1 })),
      );
      // A head is committed with a checkpoint covering it (see chain-lookups.ts); a log without one has no heads either.
      if (checkpoint === null && chains.size > 0) throw new ProtocolError('UNAVAILABLE', 'the log has no checkpoint yet');
      const answers = new Map<string, Answer>();
      for (const [id, { headIndex, entries }] of chains) {
        let chain = held.get(id);
        if (entries !== null) {
          chain = { headIndex, prefix: this.prefix(id, entries) };
          this.cache.set(id, chain);
        }
        // `held` was current when entries is null: the statement sends a chain whenever it was not.
        answers.set(id, { chain: chain!, checkpoint: checkpoint! });
      }
      return answers;
    });
  }

  /** The lookup bundle of `id` as JSON text; NOT_FOUND when it has no chain. */
  async bundleJson(id: string): Promise<string> {
    const answer = await this.rounds.get(id);
    if (answer === undefined) throw new ProtocolError('NOT_FOUND', `no ${this.source.what} with this id`);
    const { chain, checkpoint } = answer;
    if (chain.tail?.checkpoint !== checkpoint.note) {
      const hashes = await this.subtrees.inclusionProof(chain.headIndex, checkpoint.size);
      const text = `,"proof":${JSON.stringify({ index: chain.headIndex, size: checkpoint.size, hashes })},"checkpoint":${JSON.stringify(checkpoint.note)}}`;
      chain.tail = { checkpoint: checkpoint.note, text };
    }
    return chain.prefix + chain.tail.text;
  }

  private prefix(id: string, entries: StoredChainEntry[]): string {
    const summary = JSON.stringify(this.source.summary(id, JSON.parse(entries[entries.length - 1]!.record) as R));
    const opening = summary === '{}' ? '{' : `${summary.slice(0, -1)},`;
    const items = entries.map((e) => `{"index":${e.index},"acceptedAt":${JSON.stringify(formatTimestamp(e.acceptedAt))},"record":${e.record}}`);
    return `${opening}"entries":[${items.join(',')}]`;
  }
}
