/**
 * The registry's own database as a LogSource (src/ledger/replay.ts): the stored entries in pages,
 * each record's text exactly as stored — a replay checks that it is canonical and parses it itself.
 */
import type { LogSource, SourceEntry } from '../ledger/index.js';
import { parseJson } from '../protocol/json.js';
import { formatTimestamp } from '../protocol/time.js';
import type { Sql } from './database.js';
import { readEntries, type StoredLogEntry } from './log-repository.js';

function sourceEntry(stored: StoredLogEntry): SourceEntry {
  let record: unknown;
  try {
    record = parseJson(stored.record);
  } catch {
    record = undefined; // not JSON: the replay reports it, and the entry keeps its place in the tree
  }
  const acceptedAtMs = stored.acceptedAt.getTime();
  return { index: stored.index, acceptedAt: formatTimestamp(acceptedAtMs), acceptedAtMs, record, text: stored.record };
}

/** Reads pages of `pageSize` entries; ends where the stored entries end (a gap shows as a jump in index). */
export function databaseLogSource(db: Sql, pageSize = 2000): LogSource {
  return {
    async *pages(start, end) {
      let next = start;
      while (next < end) {
        const page = await readEntries(db, next, Math.min(pageSize, end - next));
        if (page.length === 0) return;
        yield page.map(sourceEntry);
        next = page[page.length - 1]!.index + 1;
      }
    },
  };
}
