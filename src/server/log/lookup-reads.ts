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
 *   served only when its checkpoint is that one or a newer one; otherwise the round reads the
 *   primary. So a client that wrote through any process, then looks up through any process, never
 *   sees an older head than its own write, however far the replica lags.
 * - A replica that fails (down, unreachable, a statement cancelled by a recovery conflict) costs
 *   the round nothing but the wait: the round reads the primary, and the next rounds go straight
 *   to the primary for REPLICA_REST_MS before the replica is tried again.
 */
import { readChainLookup, type ChainAsk, type ChainLookup, type ChainTable } from '../../db/chain-lookups.js';
import type { Database } from '../../db/database.js';

/** After a replica fails, how long rounds read the primary alone before the replica is tried again. */
export const REPLICA_REST_MS = 5_000;

/** Where a round was read, and why: the `database` and `reason` labels of peerkeys_lookup_rounds_total. */
export type LookupRoundSource =
  | { database: 'replica'; reason: 'current' }
  /** no_replica: none configured; behind: its checkpoint was older than the primary's; failed: its statement failed; resting: it failed within REPLICA_REST_MS. */
  | { database: 'primary'; reason: 'no_replica' | 'behind' | 'failed' | 'resting' };

export interface LookupReadsOptions {
  /** Told where each round was read (metrics). */
  observe?: (source: LookupRoundSource) => void;
  /** Told of each failure of the replica (a log line; the round itself does not fail). */
  replicaFailed?: (error: unknown) => void;
}

type Checkpoint = ChainLookup['checkpoint'];

export class LookupReads {
  /** performance.now() until which rounds skip the replica. */
  private restingUntil = 0;

  constructor(
    private readonly db: Database,
    private readonly options: LookupReadsOptions = {},
  ) {}

  /** One lookup round: see readChainLookup. */
  async read(table: ChainTable, asks: ChainAsk[], bounds: { maxItems: number; maxBytes: number }): Promise<ChainLookup> {
    const { replica } = this.db;
    const fromPrimary = (reason: Extract<LookupRoundSource, { database: 'primary' }>['reason']) => {
      this.options.observe?.({ database: 'primary', reason });
      return readChainLookup(this.db, table, asks, bounds);
    };
    if (replica === undefined) return fromPrimary('no_replica');
    if (performance.now() < this.restingUntil) return fromPrimary('resting');
    const [newest, answer] = await Promise.all([
      newestCheckpoint(this.db),
      readChainLookup(replica, table, asks, bounds).catch((error: unknown) => {
        this.restingUntil = performance.now() + REPLICA_REST_MS;
        this.options.replicaFailed?.(error);
        return null;
      }),
    ]);
    if (answer === null) return fromPrimary('failed');
    if (!isAtLeast(answer.checkpoint, newest)) return fromPrimary('behind');
    this.options.observe?.({ database: 'replica', reason: 'current' });
    return answer;
  }
}

/** The primary's newest checkpoint: the same row readChainLookup reads, alone. */
async function newestCheckpoint(db: Database): Promise<Checkpoint> {
  const rows = await db.query<{ size: string | number; note: string }>('SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1');
  const row = rows[0];
  return row === undefined ? null : { size: Number(row.size), note: row.note };
}

/**
 * Whether the replica's checkpoint is the primary's newest or a newer one (committed after the
 * primary's was read). At one size, a fresh note replaces the older one (DESIGN.md §5): the
 * replica must hold the very note, not an older note of that size.
 */
function isAtLeast(replica: Checkpoint, primary: Checkpoint): boolean {
  if (primary === null) return true;
  if (replica === null) return false;
  return replica.size > primary.size || (replica.size === primary.size && replica.note === primary.note);
}
