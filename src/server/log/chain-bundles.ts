/**
 * Lookup bundles (DESIGN.md §6) for chains in the log — identities and groups — built for load:
 *
 * - Concurrent lookups are coalesced (server/coalescer.ts): one statement per round reads the
 *   latest checkpoint and the asked-for head indexes from one snapshot, and one more reads the
 *   chains the cache lacks. Each request is answered
 *   by a round that started after it arrived: nothing is served as latest that the database had
 *   not confirmed when it was asked (DESIGN.md §9).
 * - A chain up to a given head index never changes (a recovery makes a new head with a new
 *   index), so its JSON is cached by head index in any number of processes.
 * - Proofs come from the subtree cache; the answer is assembled as text, and its tail (proof and
 *   checkpoint) is kept with the chain until a newer checkpoint is read.
 */
import type { Database } from '../../db/database.js';
import type { DbClient } from '../../db/client.js';
import { latestCheckpoint, readHeadsAndCheckpoint, type HeadTable } from '../../db/log-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import { formatTimestamp } from '../../protocol/time.js';
import { Coalescer } from '../coalescer.js';
import { GenerationalCache } from '../generational-cache.js';
import type { SubtreeStore } from './subtree-store.js';

/** One stored entry of a chain, as the repositories return them. */
export interface ChainEntry<R> {
  index: number;
  /** ms since the epoch */
  acceptedAt: number;
  record: R;
}

/** What differs between kinds of chain. */
export interface ChainSource<R> {
  table: HeadTable;
  /** The live chains of `ids`, first record first; ids without one are absent. */
  readChains(db: DbClient, ids: string[]): Promise<Map<string, ChainEntry<R>[]>>;
  /** The bundle's fields before `entries` (e.g. userId and the head's keys), from the head record. */
  summary(id: string, head: R): Record<string, unknown>;
  /** What to call a missing one in a 404. */
  what: string;
}

interface Round {
  headIndex: number | undefined;
  checkpoint: { size: number; note: string } | null;
}

interface CachedChain {
  headIndex: number;
  /** The bundle's JSON up to and including the entries, without the closing brace. */
  prefix: string;
  /** The rest of the last bundle served — proof and checkpoint — and the checkpoint it is for. */
  tail?: { checkpoint: string; text: string };
}

export class ChainBundles<R> {
  private readonly cache: GenerationalCache<string, CachedChain>;
  private readonly rounds: Coalescer<string, Round>;
  private readonly chains: Coalescer<string, ChainEntry<R>[] | undefined>;

  constructor(
    private readonly db: Database,
    private readonly subtrees: SubtreeStore,
    private readonly source: ChainSource<R>,
    capacity = 20_000,
  ) {
    this.cache = new GenerationalCache(capacity);
    this.rounds = new Coalescer(async (ids) => {
      const { checkpoint, heads } = await readHeadsAndCheckpoint(db.prisma, source.table, ids);
      return new Map(ids.map((id) => [id, { headIndex: heads.get(id), checkpoint }]));
    });
    this.chains = new Coalescer((ids) => source.readChains(db.prisma, ids));
  }

  /** The lookup bundle of `id` as JSON text; NOT_FOUND when it has no chain. */
  async bundleJson(id: string): Promise<string> {
    const round = await this.rounds.get(id);
    if (round.headIndex === undefined) throw new ProtocolError('NOT_FOUND', `no ${this.source.what} with this id`);
    let checkpoint = round.checkpoint!;
    let chain = this.cache.get(id);
    if (chain === undefined || chain.headIndex !== round.headIndex) {
      const entries = (await this.chains.get(id)) ?? [];
      const head = entries[entries.length - 1];
      if (head === undefined) throw new ProtocolError('NOT_FOUND', `no ${this.source.what} with this id`);
      chain = { headIndex: head.index, prefix: this.prefix(id, entries) };
      this.cache.set(id, chain);
      // The chain moved on between the round and this read: take a checkpoint that covers it.
      if (head.index >= checkpoint.size) checkpoint = (await latestCheckpoint(this.db.prisma))!;
    }
    if (chain.tail?.checkpoint !== checkpoint.note) {
      const hashes = await this.subtrees.inclusionProof(chain.headIndex, checkpoint.size);
      const text = `,"proof":${JSON.stringify({ index: chain.headIndex, size: checkpoint.size, hashes })},"checkpoint":${JSON.stringify(checkpoint.note)}}`;
      chain.tail = { checkpoint: checkpoint.note, text };
    }
    return chain.prefix + chain.tail.text;
  }

  private prefix(id: string, entries: ChainEntry<R>[]): string {
    const body = JSON.stringify({
      ...this.source.summary(id, entries[entries.length - 1]!.record),
      entries: entries.map((e) => ({ index: e.index, acceptedAt: formatTimestamp(e.acceptedAt), record: e.record })),
    });
    return body.slice(0, -1);
  }
}
