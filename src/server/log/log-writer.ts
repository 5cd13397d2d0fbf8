/**
 * Appends accepted records to the transparency log (DESIGN.md §5, §9).
 *
 * Writes that arrive while a batch is being committed wait and then go together in the next one:
 * under load many records share one transaction, one lock acquisition and one signed checkpoint,
 * and a lone write is never delayed by a timer. Each batch is one database transaction:
 *
 *   lock the sequencer row → load the chains the writes touch (one read per kind) → decide each
 *   write in order by its entry kind's rules (src/ledger/) → fold the accepted entries into a fork
 *   of the key map at the locked size (§5.2) → sign the checkpoint for the new size, with its map
 *   root and time → insert the leaves, the completed subtrees and the checkpoint and move the log's
 *   size, and write the chains' rows, in one batch of statements (logAppend, decidedStatements; on the embedded
 *   database one session-function call per run of at most 100 parameters) → commit → publish the new map
 *   → record the newest committed checkpoint (`latestCommitted`) → hand the records over to the
 *   lookup cache (handOverCommitted: the only writer's) → acknowledge the writes.
 *
 * So a record and its leaf commit together or not at all, indexes have no gaps, and every size has
 * one checkpoint row, whose map root is the fold of exactly that many entries. Writers in other
 * processes wait on the same row lock. While no write comes, a fresh checkpoint of the same size
 * (same roots, a new time) replaces the row's note every CHECKPOINT_INTERVAL_SECONDS (`refresh`).
 */
import type { Database, Sql, SqlSession } from '../../db/database.js';
import { databaseStateStore, decidedStatements } from '../../db/ledger-store.js';
import { latestCheckpoint, logAppend, lockLog, putCheckpoint, type StoredCheckpoint } from '../../db/log-repository.js';
import { LedgerState, type LogWrite } from '../../ledger/index.js';
import { parseCheckpointNote, signCheckpoint, verifyCheckpointNote } from '../../protocol/checkpoint.js';
import { bytesEqual, toBase64, toBase64Url } from '../../protocol/encoding.js';
import { ProtocolError } from '../../protocol/errors.js';
import { mapUpdatesOf, type MapRecord } from '../../protocol/key-map-fold.js';
import type { KeyMap } from '../../protocol/key-map-tree.js';
import type { MapKey } from '../../protocol/key-map.js';
import { logLeafBytesFromCanonical } from '../../protocol/log-entry.js';
import { appendToFrontier, inclusionProofRanges, leafHash, rootFromFrontier } from '../../protocol/merkle.js';
import { formatTimestamp } from '../../protocol/time.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import { nodeVerify } from '../../node/node-ed25519.js';
import { isUniqueViolation } from '../database-errors.js';
import type { LogKey } from '../../node/log-key.js';
import type { SubtreeStore } from '../../db/subtree-store.js';
import type { CommittedRecord } from './chain-bundles.js';
import type { MapState } from './map-state.js';

/** What a write's response carries (DESIGN.md §6). */
export interface AppendResult {
  index: number;
  acceptedAt: string;
  hash: string;
  proof: { index: number; size: number; hashes: string[] };
  checkpoint: string;
  /** base64url of the key map proof of the record's key against the checkpoint's map root (§5.2). */
  mapProof: string;
}

interface Pending {
  write: LogWrite;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface BatchOutcome {
  accepted: Array<{ pending: Pending; index: number; key: MapKey }>;
  refused: Array<{ pending: Pending; error: ProtocolError }>;
  acceptedAt: string;
  /** The checkpoint of the new size and the map it commits to; null when nothing was accepted. */
  checkpoint: StoredCheckpoint | null;
  map: KeyMap | null;
  completed: Parameters<SubtreeStore['remember']>[0];
  /** LogWriter.locks when its transaction took the log lock. */
  lock: number;
}

export const MAX_BATCH = 256;

export class LogWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing: Promise<unknown> | null = null;
  private stopped = false;
  /** Counts the transactions that took the log lock, in the order they took it. */
  private locks = 0;
  /** The newest checkpoint this process committed, and the lock order of its transaction. */
  private newest: { lock: number; checkpoint: StoredCheckpoint } | null = null;
  /** Told of each committed batch (handOverCommitted). */
  private handOver: { take: (sizeBefore: number, records: CommittedRecord[]) => void; onError: (error: unknown) => void } | null = null;

  constructor(
    private readonly db: Database,
    private readonly subtrees: SubtreeStore,
    private readonly map: MapState,
    private readonly key: LogKey,
    private readonly clock: Clock,
    private readonly metrics?: Pick<Metrics, 'appended' | 'batchSize'>,
  ) {}

  /**
   * Makes sure the current tree size has a signed checkpoint with the map and time lines (the
   * empty log gets one too; a log signed before the key map gets a fresh one of its size), that
   * the log was signed with this key — a registry that went on under another key would publish a
   * log its clients, pinned to the old key, rightly refuse — and that a map root already signed
   * for this size is the one this process computes.
   */
  async init(): Promise<void> {
    this.committed(await this.locked(async (tx, size, map, lock) => {
      const latest = await latestCheckpoint(tx);
      if (latest !== null && (await verifyCheckpointNote(latest.note, this.key.noteKey, nodeVerify)) === null) {
        throw new Error(
          `the log's latest checkpoint (size ${latest.size}) is not signed by the configured log key ${this.key.vkey}: ` +
            'start the registry with the LOG_SIGNING_KEY and LOG_ORIGIN that signed its log',
        );
      }
      return this.keepFresh(tx, size, map, lock, latest, Infinity);
    }));
  }

  /**
   * Signs a fresh checkpoint of the current size unless the latest is younger than `maxAgeMs`
   * (DESIGN.md §5): same size, same log root, same map root, a new time, replacing the note of
   * that size. Returns the time of the latest checkpoint after it.
   */
  async refresh(maxAgeMs: number): Promise<number> {
    const fresh = await this.locked(async (tx, size, map, lock) => this.keepFresh(tx, size, map, lock, await latestCheckpoint(tx), maxAgeMs));
    this.committed(fresh);
    return fresh.time;
  }

  /**
   * The newest checkpoint committed by this process (by a batch, init or refresh). Where no other
   * process appends to the log or signs for it (the embedded database), it is the log's latest
   * from the moment its transaction committed, before any write it holds is acknowledged.
   */
  get latestCommitted(): StoredCheckpoint | null {
    return this.newest?.checkpoint ?? null;
  }

  /**
   * Hands each committed batch's records, in log order, with the log's size before the batch, to
   * `take`: after its checkpoint is recorded as latestCommitted and before any write in it is
   * acknowledged, in the same tick. For the only writer's lookup cache (DESIGN.md §9), which then
   * holds the new heads' pages without reading them. What `take` throws goes to `onError`: the
   * batch's writes are acknowledged all the same.
   */
  handOverCommitted(take: (sizeBefore: number, records: CommittedRecord[]) => void, onError: (error: unknown) => void): void {
    this.handOver = { take, onError };
  }

  /**
   * Hands a committed batch over. The batch is committed whatever happens here, and its writes are
   * acknowledged next: a failure costs the receiver a later read (a lookup round), never the write,
   * and is reported rather than thrown.
   */
  private handOverBatch(handOver: NonNullable<LogWriter['handOver']>, size: number, outcome: BatchOutcome): void {
    try {
      const acceptedAt = Date.parse(outcome.acceptedAt);
      const records = outcome.accepted.map(({ pending, index, key }) => ({ index, acceptedAt, record: pending.write.canonical, change: pending.write.decision!.change, key }));
      handOver.take(size - records.length, records);
    } catch (error) {
      handOver.onError(error);
    }
  }

  /** Records a committed checkpoint unless a transaction that took the lock after its own already did. */
  private committed({ lock, checkpoint }: { lock: number; checkpoint: StoredCheckpoint }): void {
    if (this.newest === null || lock > this.newest.lock) this.newest = { lock, checkpoint };
  }

  /**
   * Runs `work` in one transaction under the log lock, with the locked size, the key map at
   * exactly that size, and the lock's order among this process's (LogWriter.locks). A map more than FOLD_UNDER_LOCK entries behind (another process wrote a
   * lot) is not caught up under the lock, where it would hold up every writer and outlast the
   * transaction: the transaction is given up, the map folds the entries outside it, and `work`
   * runs again.
   */
  private async locked<T>(work: (tx: SqlSession, size: number, map: KeyMap, lock: number) => Promise<T>): Promise<T> {
    for (;;) {
      let behind: number | null = null;
      const result = await this.db.transaction(async (tx) => {
        const size = await lockLog(tx);
        if (size - this.map.size > FOLD_UNDER_LOCK) {
          behind = size;
          return null;
        }
        const map = await this.map.at(size, tx);
        if (map === null) throw new Error(`the key map of size ${size} is older than the map this process holds: the log went back`);
        return { value: await work(tx, size, map, ++this.locks) };
      });
      if (result !== null) return result.value;
      await this.map.at(behind!);
    }
  }

  /**
   * The work of init and refresh, under the log lock: `size` is the locked size, `map` the map at
   * it, `lock` the lock's order, `latest` the newest checkpoint. Returns the latest checkpoint after it and its time.
   */
  private async keepFresh(tx: Sql, size: number, map: KeyMap, lock: number, latest: StoredCheckpoint | null, maxAgeMs: number): Promise<{ lock: number; checkpoint: StoredCheckpoint; time: number }> {
    const mapRoot = map.root();
    const signed = latest !== null && latest.size === size ? timeAndMapRoot(latest.note) : null;
    if (signed !== null && !bytesEqual(signed.mapRoot, mapRoot)) {
      throw new Error(`the checkpoint of size ${size} commits to the map root ${toBase64(signed.mapRoot)}, but the log's entries fold to ${toBase64(mapRoot)}`);
    }
    const now = this.clock.now();
    if (signed !== null && now - signed.time < maxAgeMs) return { lock, checkpoint: latest!, time: signed.time };
    const root = latest !== null && latest.size === size ? latest.root : rootFromFrontier(await this.subtrees.frontier(size, tx));
    const note = await signCheckpoint({ origin: this.key.origin, size, root, mapRoot, time: now }, this.key.noteKey, this.key.sign);
    const checkpoint = { size, root, note };
    await putCheckpoint(tx, checkpoint);
    return { lock, checkpoint, time: now };
  }

  /**
   * Keeps the latest checkpoint younger than `intervalMs` (config CHECKPOINT_INTERVAL_SECONDS),
   * writes or not: each round signs one if the latest (whoever signed it, in any process) has
   * reached that age, and sleeps until the latest would. The timer does not keep the process alive.
   */
  startRefreshing(intervalMs: number, onError: (error: unknown) => void): void {
    const schedule = (delayMs: number) => {
      if (this.stopped) return;
      this.refreshTimer = setTimeout(() => {
        this.refreshTimer = null;
        const round = this.refresh(intervalMs).then(
          (time) => Math.min(intervalMs, Math.max(MIN_REFRESH_DELAY_MS, time + intervalMs - this.clock.now())),
          (error: unknown) => {
            onError(error);
            return intervalMs;
          },
        );
        this.refreshing = round;
        void round.then((next) => {
          this.refreshing = null;
          schedule(next);
        });
      }, delayMs);
      this.refreshTimer.unref();
    };
    // At once: a registry that was down for a while starts with an old latest checkpoint.
    schedule(0);
  }

  /** Stops the refresh timer and waits for a refresh under way: call before closing the database. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    await this.refreshing;
    await this.drain();
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
    if (outcome.checkpoint !== null && outcome.map !== null) {
      this.map.publish(outcome.checkpoint.size, outcome.map);
      this.committed({ lock: outcome.lock, checkpoint: outcome.checkpoint });
      if (this.handOver !== null) this.handOverBatch(this.handOver, outcome.checkpoint.size, outcome);
    }
    if (outcome.accepted.length > 0) {
      this.metrics?.batchSize.observe(outcome.accepted.length);
      if (this.metrics !== undefined) {
        // One increment per kind and batch, not per write: a labelled inc hashes its labels each time.
        const kinds = new Map<string, number>();
        for (const { pending } of outcome.accepted) kinds.set(pending.write.type, (kinds.get(pending.write.type) ?? 0) + 1);
        for (const [kind, count] of kinds) this.metrics.appended.inc({ kind }, count);
      }
    }
    for (const { pending, error } of outcome.refused) pending.reject(error);
    if (outcome.checkpoint === null) return;
    const checkpoint = outcome.checkpoint;
    const map = outcome.map!;
    try {
      const proofs = await this.subtrees.rangeHashes(outcome.accepted.map(({ index }) => inclusionProofRanges(index, checkpoint.size)));
      outcome.accepted.forEach(({ pending, index }, i) => {
        pending.resolve({
          index,
          acceptedAt: outcome.acceptedAt,
          hash: pending.write.hash,
          proof: { index, size: checkpoint.size, hashes: proofs[i]! },
          checkpoint: checkpoint.note,
          mapProof: toBase64Url(map.proveBytes(outcome.accepted[i]!.key)),
        });
      });
    } catch (error) {
      for (const { pending } of outcome.accepted) pending.reject(error);
    }
  }

  private commit(batch: Pending[]): Promise<BatchOutcome> {
    return this.locked(async (tx, size, base, lock) => {
      const now = this.clock.now();
      const acceptedAt = formatTimestamp(now);
      const ledger = new LedgerState(databaseStateStore(tx));
      await ledger.prepare(batch.map((p) => p.write));
      const decided: Array<{ pending: Pending; index: number }> = [];
      const refused: BatchOutcome['refused'] = [];
      for (const pending of batch) {
        const index = size + decided.length;
        try {
          ledger.decide(pending.write, { index, acceptedAt: now });
          decided.push({ pending, index });
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          refused.push({ pending, error });
        }
      }
      if (decided.length === 0) return { accepted: [], refused, acceptedAt, checkpoint: null, map: null, completed: [], lock };

      // The map after the new entries is their fold (key-map-fold.ts) into the map at `size` (`base`),
      // exactly as a verifier computes it; a fork, so a rollback leaves the published map as it was.
      const updates = [...mapUpdatesOf(decided.map(({ pending, index }) => ({ index, acceptedAt, record: pending.write.record as MapRecord })), size, decided.map(({ pending }) => pending.write.digest))];
      const map = base.fork();
      const mapRoot = map.apply(updates);
      const accepted = decided.map((d, i) => ({ ...d, key: updates[i]!.key }));

      const leaves = accepted.map(({ pending }) => leafHash(logLeafBytesFromCanonical(acceptedAt, pending.write.canonical)));
      const { completed, frontier } = appendToFrontier(await this.subtrees.frontier(size, tx), leaves);
      const newSize = size + accepted.length;
      const root = rootFromFrontier(frontier);
      const note = await signCheckpoint({ origin: this.key.origin, size: newSize, root, mapRoot, time: now }, this.key.noteKey, this.key.sign);
      const checkpoint = { size: newSize, root, note };

      await tx.batch([
        logAppend(
          accepted.map(({ pending, index }) => ({ index, kind: pending.write.type, acceptedAt: new Date(now), record: pending.write.canonical })),
          completed,
          checkpoint,
        ),
        ...decidedStatements(ledger, accepted.map(({ pending, index }) => ({ write: pending.write, index }))),
      ]);
      return { accepted, refused, acceptedAt, checkpoint, map, completed, lock };
    });
  }
}

/** The most entries the map folds while its process holds the log lock (more are folded before taking it). */
const FOLD_UNDER_LOCK = 1000;

/** The shortest wait between two refresh rounds, however close the latest checkpoint is to its age. */
const MIN_REFRESH_DELAY_MS = 50;

/** The map root and time of one of the registry's own notes, or null for a note without them (signed before the key map). */
function timeAndMapRoot(note: string): { mapRoot: Uint8Array; time: number } | null {
  const checkpoint = parseCheckpointNote(note);
  return checkpoint?.mapRoot !== undefined && checkpoint.time !== undefined ? { mapRoot: checkpoint.mapRoot, time: checkpoint.time } : null;
}
