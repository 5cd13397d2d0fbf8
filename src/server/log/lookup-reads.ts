/**
 * Where a lookup round (chain-bundles.ts) reads: the read replica (DATABASE_READ_URL) when it is
 * as new as the primary, otherwise the primary (DESIGN.md §9, "Read replicas").
 *
 * - A round is one statement (db/chain-lookups.ts), so its checkpoint, heads and pages come from
 *   one snapshot of whichever database it ran on; the proofs made for it are against the map and
 *   tree of exactly that checkpoint's size, which the primary's immutable data always covers.
 * - Nothing is served as latest that the primary had not confirmed when it was asked (§9): with
 *   the replica's statement, the round reads the primary's newest checkpoint (one row of its
 *   primary key), both started after every request of the round arrived. The replica's answer is
 *   served only when its checkpoint is that one, or a newer one that the primary holds too (a
 *   replica ahead of the primary — a primary restored from a backup, a failover, DATABASE_READ_URL
 *   naming another database — serves nothing: its heads would have no proofs here, or fork the
 *   log); otherwise the round reads the primary. So a client that wrote through any process, then
 *   looks up through any process, never sees an older head than its own write, however far the
 *   replica lags.
 * - A replica that fails (down, unreachable, a statement cancelled by a recovery conflict), or is
 *   found behind (or ahead) REPLICA_NOT_CURRENT_ROUNDS rounds in a row (it stopped following), costs the round
 *   nothing but the wait: the round reads the primary, and the next rounds go straight to the
 *   primary for a rest before the replica is tried again: REPLICA_REST_MS, doubled for each rest
 *   in a row up to REPLICA_MAX_REST_MS, back to REPLICA_REST_MS once the replica served a round.
 */
import { readChainLookup, type ChainAsk, type ChainLookup, type ChainTable } from '../../db/chain-lookups.js';
import type { Database } from '../../db/database.js';
import { holdsCheckpoint, latestCheckpoint } from '../../db/log-repository.js';

/** After a replica fails, how long rounds read the primary alone before the replica is tried again (the first rest in a row). */
export const REPLICA_REST_MS = 5_000;
/** The longest rest: a replica that keeps failing is still tried again once a minute. */
export const REPLICA_MAX_REST_MS = 60_000;
/** Rounds in a row that find the replica behind the primary before it is rested as if it had failed. */
export const REPLICA_NOT_CURRENT_ROUNDS = 20;

/** Where a round was read, and why: the `database` and `reason` labels of peerkeys_lookup_rounds_total. */
export type LookupRoundSource =
  | { database: 'replica'; reason: 'current' }
  /**
   * no_replica: none configured; behind: its checkpoint was older than the primary's; ahead: its checkpoint was newer than
   * the primary's and not one the primary holds; failed: its statement failed; resting: it failed, or was behind or ahead
   * REPLICA_NOT_CURRENT_ROUNDS rounds in a row, within its rest.
   */
  | { database: 'primary'; reason: 'no_replica' | 'behind' | 'ahead' | 'failed' | 'resting' };

export interface LookupReadsOptions {
  /** Told where each round was read (metrics). */
  observe?: (source: LookupRoundSource) => void;
  /** Told why the replica is rested, and for how long (a log line; the round itself does not fail). */
  replicaRested?: (reason: unknown, restMs: number) => void;
  /** The clock of the rests, in ms (tests); performance.now() by default. */
  now?: () => number;
}

type Checkpoint = ChainLookup['checkpoint'];

export class LookupReads {
  /** now() until which rounds skip the replica. */
  private restingUntil = 0;
  /** Rests since the replica last served a round: each doubles the next. */
  private restsInARow = 0;
  /** Rounds in a row that found the replica's checkpoint not the primary's. */
  private notCurrentInARow = 0;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly options: LookupReadsOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** One lookup round: see readChainLookup. */
  async read(table: ChainTable, asks: ChainAsk[], bounds: { maxItems: number; maxBytes: number }): Promise<ChainLookup> {
    const { replica } = this.db;
    const fromPrimary = (reason: Extract<LookupRoundSource, { database: 'primary' }>['reason']) => {
      this.options.observe?.({ database: 'primary', reason });
      return readChainLookup(this.db, table, asks, bounds);
    };
    if (replica === undefined) return fromPrimary('no_replica');
    if (this.now() < this.restingUntil) return fromPrimary('resting');
    const [newest, answer] = await Promise.all([
      latestCheckpoint(this.db),
      readChainLookup(replica, table, asks, bounds).catch((error: unknown) => {
        this.rest(error);
        return null;
      }),
    ]);
    if (answer === null) return fromPrimary('failed');
    const standing = await this.standing(answer.checkpoint, newest);
    if (standing !== 'current') {
      if (++this.notCurrentInARow >= REPLICA_NOT_CURRENT_ROUNDS) {
        this.notCurrentInARow = 0;
        this.rest(new Error(`the read replica's checkpoint was not the primary's newest (${standing}) ${REPLICA_NOT_CURRENT_ROUNDS} lookup rounds in a row`));
      }
      return fromPrimary(standing);
    }
    this.notCurrentInARow = 0;
    this.restsInARow = 0;
    this.options.observe?.({ database: 'replica', reason: 'current' });
    return answer;
  }

  /**
   * Whether the replica's checkpoint is the primary's newest (`primary`, read with it), or a newer
   * one committed on the primary since. At one size, a fresh note replaces the older one (DESIGN.md
   * §5): the replica must hold the very note, not an older note of that size.
   */
  private async standing(replica: Checkpoint, primary: Checkpoint): Promise<'current' | 'behind' | 'ahead'> {
    if (replica === null) return primary === null ? 'current' : 'behind';
    if (primary !== null && replica.size < primary.size) return 'behind';
    if (primary !== null && replica.size === primary.size) return replica.note === primary.note ? 'current' : 'behind';
    return (await holdsCheckpoint(this.db, replica)) ? 'current' : 'ahead';
  }

  /** Skips the replica for the next rest, unless it is resting already (rounds that were in flight when it began). */
  private rest(reason: unknown): void {
    const now = this.now();
    if (now < this.restingUntil) return;
    const restMs = Math.min(REPLICA_REST_MS * 2 ** this.restsInARow, REPLICA_MAX_REST_MS);
    this.restsInARow += 1;
    this.restingUntil = now + restMs;
    this.options.replicaRested?.(reason, restMs);
  }
}
