/**
 * Appends accepted records to the transparency log (DESIGN.md §5, §9).
 *
 * Writes that arrive while a batch is being committed wait and then go together in the next one:
 * under load many records share one transaction, one lock acquisition and one signed checkpoint,
 * and a lone write is never delayed by a timer. Each batch is one database transaction:
 *
 *   lock the sequencer row → load the chains the writes touch (one read per kind) → decide each
 *   write in order by its entry kind's rules (src/ledger/) → insert the leaves, the completed
 *   subtrees and the chains' rows → sign and insert the checkpoint for the new size → commit.
 *
 * So a record and its leaf commit together or not at all, indexes have no gaps, and every size has
 * exactly one checkpoint. Writers in other processes wait on the same row lock.
 */
import type { Database } from '../../db/database.js';
import { databaseStateStore, persistDecided } from '../../db/ledger-store.js';
import { insertCheckpoint, insertEntries, insertSubtrees, latestCheckpoint, lockLog, setLogSize, type StoredCheckpoint } from '../../db/log-repository.js';
import { LedgerState, type LogWrite } from '../../ledger/index.js';
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

/** What a write's response carries (DESIGN.md §6). */
export interface AppendResult {
  index: number;
  acceptedAt: string;
  hash: string;
  proof: { index: number; size: number; hashes: string[] };
  checkpoint: string;
}

interface Pending {
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
  append(write: LogWrite): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
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
      for (const { pending } of outcome.accepted) this.metrics?.appended.inc({ kind: pending.write.type });
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
        const ledger = new LedgerState(databaseStateStore(tx));
        await ledger.prepare(batch.map((p) => p.write));
        const accepted: BatchOutcome['accepted'] = [];
        const refused: BatchOutcome['refused'] = [];
        for (const pending of batch) {
          const index = size + accepted.length;
          try {
            ledger.decide(pending.write, { index, acceptedAt: now });
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
          accepted.map(({ pending, index }) => ({ index, kind: pending.write.type, acceptedAt: new Date(now), record: pending.write.canonical })),
        );
        await insertSubtrees(tx, completed);
        await persistDecided(tx, ledger, accepted.map(({ pending, index }) => ({ write: pending.write, index })));
        await insertCheckpoint(tx, checkpoint);
        await setLogSize(tx, newSize);
        return { accepted, refused, acceptedAt, checkpoint, completed };
      },
      { maxWait: 10_000, timeout: 30_000 },
    );
  }
}
