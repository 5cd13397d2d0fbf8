/**
 * Appends a verified range of another registry's log to a mirror's database, in one transaction:
 * the entries with the registry's own indexes and acceptance times, the perfect subtrees they
 * complete, the ledgers' tables (identities, so lookups work) and the registry's checkpoint note
 * unchanged — the mirror signs nothing. The same tables and repository functions as the
 * registry's LogWriter, so the same read side (LogReader, IdentityService) serves them.
 *
 * The caller has checked each record by itself and that the entries recompute to the checkpoint's
 * root; here the chain rules are applied in log order by the ledgers, exactly as the registry's
 * LogWriter.commit applies them, with the registry's acceptedAt as the time (recovery windows).
 * A record they refuse aborts the whole range: nothing unverified is ever committed.
 */
import type { Database } from '../db/database.js';
import { insertCheckpoint, insertEntries, insertSubtrees, lockLog, setLogSize, type StoredCheckpoint } from '../db/log-repository.js';
import { ProtocolError } from '../protocol/errors.js';
import type { StoredSubtree } from '../protocol/merkle.js';
import { openLedgers } from '../server/log/log-writer.js';
import { InvalidEntry, type AdmittedEntry } from './entry-kinds.js';

export interface VerifiedRange {
  /** The mirror's size before the range: the first entry's index. */
  from: number;
  entries: AdmittedEntry[];
  /** Every perfect subtree the entries complete. */
  completed: StoredSubtree[];
  /** The registry's checkpoint of size from + entries.length, whose root the entries recompute to. */
  checkpoint: StoredCheckpoint;
}

/** Rows per statement: keeps every statement well under Postgres's 65,535 bind parameters. */
const CHUNK = 1000;

export async function appendVerifiedRange(db: Database, range: VerifiedRange): Promise<void> {
  await db.prisma.$transaction(
    async (tx) => {
      const size = await lockLog(tx);
      if (size !== range.from) throw new Error(`the mirror's log has ${size} entries where ${range.from} were expected: is another process writing to this database?`);
      for (let i = 0; i < range.entries.length; i += CHUNK) {
        const chunk = range.entries.slice(i, i + CHUNK);
        const opened = await openLedgers(tx, chunk);
        for (const entry of chunk) {
          try {
            opened.decide(entry.ledger, entry.write, entry.index, entry.acceptedAtMs);
          } catch (error) {
            if (error instanceof ProtocolError) throw new InvalidEntry(entry.index, `the chain rules refuse it (${error.code}: ${error.message})`);
            throw error;
          }
        }
        await insertEntries(
          tx,
          chunk.map((e) => ({ index: e.index, kind: e.write.kind, acceptedAt: new Date(e.acceptedAtMs), record: e.write.canonical })),
        );
        await opened.persist();
      }
      for (let i = 0; i < range.completed.length; i += CHUNK) await insertSubtrees(tx, range.completed.slice(i, i + CHUNK));
      await insertCheckpoint(tx, range.checkpoint);
      await setLogSize(tx, range.checkpoint.size);
    },
    // A first copy of a large log is one long transaction; nothing else writes to a mirror.
    { maxWait: 10_000, timeout: 600_000 },
  );
}
