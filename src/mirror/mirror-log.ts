/**
 * Appends a verified range of another registry's log to a mirror's database, in one transaction:
 * the entries with the registry's own indexes and acceptance times, the perfect subtrees they
 * complete, the chains' tables (identities, groups: so lookups work) as the replay left them, and
 * the registry's checkpoint note unchanged — the mirror signs nothing. The same tables and
 * repository functions as the registry's LogWriter, so the same read side serves them.
 *
 * The caller has replayed the range (src/ledger/replay.ts): every record checked, the chain rules
 * applied in log order with the registry's acceptedAt as the time, and the entries recomputed to
 * the checkpoint's root. Nothing unverified is ever committed.
 */
import type { Database } from '../db/database.js';
import { persistDecided, type DecidedWrite } from '../db/ledger-store.js';
import { advanceLog, insertEntries, insertSubtrees, lockLog, type StoredCheckpoint } from '../db/log-repository.js';
import { chunks } from '../db/client.js';
import type { LedgerState } from '../ledger/index.js';
import type { StoredSubtree } from '../protocol/merkle.js';

export interface VerifiedRange {
  /** The mirror's size before the range: the first entry's index. */
  from: number;
  /** The state the range was decided into: the chains it touched, as they stand after it. */
  ledger: LedgerState;
  /** Every entry of the range, in log order, each accepted by the replay. */
  entries: Array<DecidedWrite & { acceptedAtMs: number }>;
  /** Every perfect subtree the entries complete. */
  completed: StoredSubtree[];
  /** The registry's checkpoint of size from + entries.length, whose root the entries recompute to. */
  checkpoint: StoredCheckpoint;
}

/** The bound of one append of a verified range: a first copy of a large log takes minutes (Prisma's was 600 s too). */
const MIRROR_APPEND_TIMEOUT_MS = 600_000;

export async function appendVerifiedRange(db: Database, range: VerifiedRange): Promise<void> {
  // A first copy of a large log is one long transaction; nothing else writes to a mirror.
  await db.transaction(
    async (tx) => {
      const size = await lockLog(tx);
      if (size !== range.from) throw new Error(`the mirror's log has ${size} entries where ${range.from} were expected: is another process writing to this database?`);
      for (const entries of chunks(range.entries)) {
        await insertEntries(
          tx,
          entries.map((e) => ({ index: e.index, kind: e.write.type, acceptedAt: new Date(e.acceptedAtMs), record: e.write.canonical })),
        );
      }
      await persistDecided(tx, range.ledger, range.entries);
      for (const completed of chunks(range.completed)) await insertSubtrees(tx, completed);
      await advanceLog(tx, range.checkpoint);
    },
    { timeoutMs: MIRROR_APPEND_TIMEOUT_MS },
  );
}
