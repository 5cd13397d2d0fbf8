/**
 * Appends accepted records to the transparency log (DESIGN.md §5, §9).
 *
 * Writes that arrive while a batch is being committed wait and then go together in the next one:
 * under load many records share one transaction, one lock acquisition and one signed checkpoint,
 * and a lone write is never delayed by a timer. Each batch is one database transaction:
 *
 *   lock the sequencer row → let each ledger decide its writes against fresh state → insert the
 *   leaves, the completed subtrees and the ledgers' rows → sign and insert the checkpoint for the
 *   new size → commit.
 *
 * So a record and its leaf commit together or not at all, indexes have no gaps, and every size has
 * exactly one checkpoint. Writers in other processes wait on the same row lock.
 */
import type { Database } from '../../db/database.js';
import type { DbClient } from '../../db/client.js';
import { insertCheckpoint, insertEntries, insertSubtrees, latestCheckpoint, lockLog, setLogSize, type StoredCheckpoint } from '../../db/log-repository.js';
import { signCheckpoint, verifyCheckpointNote } from '../../protocol/checkpoint.js';
import { ProtocolError } from '../../protocol/errors.js';
import { logLeafHash } from '../../protocol/log-entry.js';
import { appendToFrontier, inclusionProofRanges, rootFromFrontier } from '../../protocol/merkle.js';
import { formatTimestamp } from '../../protocol/time.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import { nodeVerify } from '../../node/node-ed25519.js';
import { isUniqueViolation } from '../database-errors.js';
import type { LogKey } from '../../node/log-key.js';
import type { SubtreeStore } from '../../db/subtree-store.js';

/** A record on its way into the log. */
export interface LogWrite {
  kind: 'identity' | 'group';
  record: object;
  /** Canonical JSON of the record. */
  canonical: string;
  /** recordHash(record) */
  hash: string;
}

/** One ledger's share of a batch: decides its writes in order, then persists what it accepted. */
export interface LedgerBatch<W extends LogWrite> {
  /** Accepts `write` at log `index` (updating the batch's view of the state) or throws a ProtocolError. */
  decide(write: W, index: number, acceptedAt: number): void;
  /** Writes everything accepted; called once, after the log entries exist. */
  persist(): Promise<void>;
}

/** The rules and tables of one kind of chained record (identities, groups). */
export interface Ledger<W extends LogWrite, B extends LedgerBatch<W> = LedgerBatch<W>> {
  /**
   * Reads, inside the batch's transaction and under the log lock, the state the writes need.
   * `ledgers` gives the other ledgers' shares of the same batch (see BatchLedgers).
   */
  open(tx: DbClient, writes: W[], ledgers: BatchLedgers): Promise<B>;
}

/**
 * The ledgers' shares of the batch being decided, for a ledger whose rules read another ledger's
 * state (a group record must be signed by its admin's current identity key). Writes are decided
 * one at a time in log order, so while the write at index i is decided, another ledger's share
 * reflects exactly that ledger's writes before i: what the state was just before i, as a verifier
 * replaying the log sees it. Ask during `decide`; during `open` a share may not be open yet.
 */
export interface BatchLedgers {
  /** `ledger`'s share of this batch, or undefined when the batch holds none of its writes. */
  of<B extends LedgerBatch<never>>(ledger: Ledger<never, B>): B | undefined;
}

/** The ledgers of one batch, opened together so that each sees the others' shares (BatchLedgers). */
export interface OpenedLedgers {
  /** Accepts `write` at `index` through its ledger, or throws the ledger's ProtocolError. */
  decide(ledger: Ledger<LogWrite>, write: LogWrite, index: number, acceptedAt: number): void;
  /** Persists every ledger's accepted writes; call once, after the log entries are inserted. */
  persist(): Promise<void>;
}

/**
 * Opens the ledgers of `writes` inside a transaction that holds the log lock. Shared by the
 * registry's LogWriter and a mirror's copy of another registry's log, so both apply the rules alike.
 */
export async function openLedgers(tx: DbClient, writes: ReadonlyArray<{ ledger: Ledger<LogWrite>; write: LogWrite }>): Promise<OpenedLedgers> {
  const opened = new Map<Ledger<LogWrite>, LedgerBatch<LogWrite>>();
  const ledgers: BatchLedgers = { of: (ledger) => opened.get(ledger as unknown as Ledger<LogWrite>) as never };
  for (const ledger of new Set(writes.map((w) => w.ledger))) {
    opened.set(ledger, await ledger.open(tx, writes.filter((w) => w.ledger === ledger).map((w) => w.write), ledgers));
  }
  return {
    decide: (ledger, write, index, acceptedAt) => opened.get(ledger)!.decide(write, index, acceptedAt),
    async persist() {
      for (const batch of opened.values()) await batch.persist();
    },
  };
}

/** What a write's response carries (DESIGN.md §6). */
export interface AppendResult {
  index: number;
  acceptedAt: string;
  hash: string;
  proof: { index: number; size: number; hashes: string[] };
  checkpoint: string;
}

interface Pending {
  ledger: Ledger<LogWrite>;
  write: LogWrite;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface BatchOutcome {
  accepted: Array<{ pending: Pending; index: number }>;
  refused: Array<{ pending: Pending; error: ProtocolError }>;
  acceptedAt: string;
  checkpoint: StoredCheckpoint | null;
  completed: Parameters<SubtreeStore['remember']>[0];
}

export const MAX_BATCH = 256;

export class LogWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly subtrees: SubtreeStore,
    private readonly key: LogKey,
    private readonly clock: Clock,
    private readonly metrics?: Pick<Metrics, 'appended' | 'batchSize'>,
  ) {}

  /**
   * Makes sure the current tree size has a signed checkpoint (the empty log gets one too), and
   * that the log was signed with this key: a registry that went on under another key would
   * publish a log its clients, pinned to the old key, rightly refuse.
   */
  async init(): Promise<void> {
    await this.db.prisma.$transaction(async (tx) => {
      const size = await lockLog(tx);
      const latest = await latestCheckpoint(tx);
      if (latest !== null && (await verifyCheckpointNote(latest.note, this.key.noteKey, nodeVerify)) === null) {
        throw new Error(
          `the log's latest checkpoint (size ${latest.size}) is not signed by the configured log key ${this.key.vkey}: ` +
            'start the registry with the LOG_SIGNING_KEY and LOG_ORIGIN that signed its log',
        );
      }
      if (latest !== null && latest.size === size) return;
      const root = rootFromFrontier(await this.subtrees.frontier(size, tx));
      const note = await signCheckpoint({ origin: this.key.origin, size, root }, this.key.noteKey, this.key.sign);
      await insertCheckpoint(tx, { size, root, note });
    });
  }

  /** Decides and, if accepted, logs one write; resolves once it is committed with its proof. */
  append<W extends LogWrite>(ledger: Ledger<W>, write: W): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ledger: ledger as unknown as Ledger<LogWrite>, write, resolve, reject });
      this.kick();
    });
  }

  /** Resolves when every queued write has been answered. */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private kick(): void {
    if (this.running !== null || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.running = this.process(batch).finally(() => {
      this.running = null;
      this.kick();
    });
  }

  private async process(batch: Pending[]): Promise<void> {
    let outcome: BatchOutcome;
    try {
      outcome = await this.commit(batch);
    } catch (error) {
      // A constraint caught what the rules should have: another writer got in. Retry each write
      // alone so one conflict does not fail its neighbours; alone, it is answered as a conflict.
      if (isUniqueViolation(error)) {
        if (batch.length > 1) {
          for (const pending of batch) await this.process([pending]);
          return;
        }
        batch[0]!.reject(new ProtocolError('PREV_MISMATCH', 'the chain moved while this record was being written; read the head and try again'));
        return;
      }
      for (const pending of batch) pending.reject(error);
      return;
    }
    this.subtrees.remember(outcome.completed);
    if (outcome.accepted.length > 0) {
      this.metrics?.batchSize.observe(outcome.accepted.length);
      for (const { pending } of outcome.accepted) this.metrics?.appended.inc({ kind: pending.write.kind });
    }
    for (const { pending, error } of outcome.refused) pending.reject(error);
    if (outcome.checkpoint === null) return;
    const checkpoint = outcome.checkpoint;
    try {
      const proofs = await this.subtrees.rangeHashes(outcome.accepted.map(({ index }) => inclusionProofRanges(index, checkpoint.size)));
      outcome.accepted.forEach(({ pending, index }, i) => {
        pending.resolve({
          index,
          acceptedAt: outcome.acceptedAt,
          hash: pending.write.hash,
          proof: { index, size: checkpoint.size, hashes: proofs[i]! },
          checkpoint: checkpoint.note,
        });
      });
    } catch (error) {
      for (const { pending } of outcome.accepted) pending.reject(error);
    }
  }

  private commit(batch: Pending[]): Promise<BatchOutcome> {
    return this.db.prisma.$transaction(
      async (tx) => {
        const size = await lockLog(tx);
        const now = this.clock.now();
        const acceptedAt = formatTimestamp(now);
        const opened = await openLedgers(tx, batch);
        const accepted: BatchOutcome['accepted'] = [];
        const refused: BatchOutcome['refused'] = [];
        for (const pending of batch) {
          const index = size + accepted.length;
          try {
            opened.decide(pending.ledger, pending.write, index, now);
            accepted.push({ pending, index });
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
            refused.push({ pending, error });
          }
        }
        if (accepted.length === 0) return { accepted, refused, acceptedAt, checkpoint: null, completed: [] };

        const leaves = accepted.map(({ pending }) => logLeafHash(acceptedAt, pending.write.record));
        const { completed, frontier } = appendToFrontier(await this.subtrees.frontier(size, tx), leaves);
        const newSize = size + accepted.length;
        const root = rootFromFrontier(frontier);
        const note = await signCheckpoint({ origin: this.key.origin, size: newSize, root }, this.key.noteKey, this.key.sign);
        const checkpoint = { size: newSize, root, note };

        await insertEntries(
          tx,
          accepted.map(({ pending, index }) => ({ index, kind: pending.write.kind, acceptedAt: new Date(now), record: pending.write.canonical })),
        );
        await insertSubtrees(tx, completed);
        await opened.persist();
        await insertCheckpoint(tx, checkpoint);
        await setLogSize(tx, newSize);
        return { accepted, refused, acceptedAt, checkpoint, completed };
      },
      { maxWait: 10_000, timeout: 30_000 },
    );
  }
}
