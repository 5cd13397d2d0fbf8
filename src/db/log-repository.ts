/**
 * The transparency log's tables: entries (the leaves' contents), perfect-subtree hashes,
 * checkpoints and the sequencer row. The statements every batch of the log writer runs, and the
 * newest checkpoint's, are prepared (db/database.ts, StatementOptions): parsing and planning them
 * cost Postgres about as much as running them (measured from the client, in a transaction: taking
 * the lock 341 → 157 µs, the size 130 → 66, 32 subtrees 259 → 133, 32 entries 330 → 274).
 */
import type { StoredSubtree, Subtree } from '../protocol/merkle.js';
import { toSafeNumber } from './client.js';
import { statementText, type BatchStatement, type Database, type Sql } from './database.js';
import { pageSql, RECORD_ITEM_OVERHEAD } from './pages.js';

export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
}

export interface StoredLogEntry {
  index: number;
  /** The record's type: its entry kind (DESIGN.md §5). */
  kind: string;
  acceptedAt: Date;
  /** Canonical JSON of the record. */
  record: string;
}

/** An int8 column as a driver returns it (db/database.ts, `Sql`). */
type Int8 = string | number | bigint;

/** Hashes travel as hex text, decoded in SQL: the same on both drivers, in arrays too. */
const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * Takes the log's sequencer lock for the rest of the transaction and returns the current size.
 * Every append takes it first, in every process: the database serialises appends (DESIGN.md §9).
 */
export async function lockLog(tx: Sql): Promise<number> {
  const rows = await tx.query<{ size: Int8 }>('SELECT size FROM log_state WHERE id = 1 FOR UPDATE', [], { prepared: true });
  const row = rows[0];
  if (row === undefined) throw new Error('log_state has no row: the database was not migrated');
  return toSafeNumber(row.size);
}

/** Inserts entries, each column one array parameter: any number of entries in one statement. */
const entryColumns = (entries: StoredLogEntry[]) => ({
  types: ['bigint[]', 'text[]', 'timestamptz[]', 'text[]'],
  params: [entries.map((e) => e.index), entries.map((e) => e.kind), entries.map((e) => e.acceptedAt.toISOString()), entries.map((e) => e.record)],
  sql: ([index, kind, acceptedAt, record]: string[]) =>
    `INSERT INTO log_entries (index, kind, accepted_at, record) SELECT * FROM unnest(${index}, ${kind}, ${acceptedAt}, ${record})`,
});

/** Inserts perfect subtrees' hashes, each column one array parameter. */
const subtreeColumns = (subtrees: StoredSubtree[]) => ({
  types: ['smallint[]', 'bigint[]', 'text[]'],
  params: [subtrees.map((s) => s.level), subtrees.map((s) => s.index), subtrees.map((s) => hex(s.hash))],
  sql: ([level, index, hash]: string[]) =>
    `INSERT INTO log_nodes (level, index, hash) SELECT level, index, decode(hash, 'hex') FROM unnest(${level}, ${index}, ${hash}) AS s(level, index, hash)`,
});

/** Stores a checkpoint and moves the log's size to it, after the data-modifying CTEs `before` (none: ''). */
const checkpointColumns = (checkpoint: StoredCheckpoint) => ({
  types: ['bigint', 'text', 'text'],
  params: [checkpoint.size, hex(checkpoint.root), checkpoint.note],
  sql: ([size, root, note]: string[], before = '') =>
    `WITH ${before}stored AS (INSERT INTO log_checkpoints (size, root, note) VALUES (${size}, decode(${root}, 'hex'), ${note}))
     UPDATE log_state SET size = ${size} WHERE id = 1`,
});

/** A statement alone, its parameters numbered from 1. */
const alone = (statement: BatchStatement) => ({ text: statementText(statement, 1), params: statement.params });

export async function insertEntries(tx: Sql, entries: StoredLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const { text, params } = alone(entryColumns(entries));
  await tx.query(text, params, { prepared: true });
}

export async function insertSubtrees(tx: Sql, subtrees: StoredSubtree[]): Promise<void> {
  if (subtrees.length === 0) return;
  const { text, params } = alone(subtreeColumns(subtrees));
  await tx.query(text, params, { prepared: true });
}

/** Ends an append of entries inserted before: stores the checkpoint of the new size and moves the log's size to it. */
export async function advanceLog(tx: Sql, checkpoint: StoredCheckpoint): Promise<void> {
  const { text, params } = alone(checkpointColumns(checkpoint));
  await tx.query(text, params, { prepared: true });
}

/**
 * An append's writes to the log as one statement (for SqlSession.batch), under the log lock: its
 * entries, the subtrees they complete, the checkpoint of the new size, and the log's size moved
 * to it — one statement instead of four a batch (issue 19).
 */
export function logAppend(entries: StoredLogEntry[], subtrees: StoredSubtree[], checkpoint: StoredCheckpoint): BatchStatement {
  const parts = [entryColumns(entries), subtreeColumns(subtrees), checkpointColumns(checkpoint)] as const;
  return {
    types: parts.flatMap((part) => part.types),
    params: parts.flatMap((part): unknown[] => part.params),
    sql: (refs) => {
      const [entryRefs, subtreeRefs, checkpointRefs] = [refs.slice(0, 4), refs.slice(4, 7), refs.slice(7)];
      return parts[2].sql(checkpointRefs, `entries AS (${parts[0].sql(entryRefs)}), nodes AS (${parts[1].sql(subtreeRefs)}), `);
    },
  };
}

/** Reads the hashes of the given perfect subtrees; missing ones are simply absent from the map. */
export async function readSubtrees(db: Sql, subtrees: Subtree[]): Promise<StoredSubtree[]> {
  if (subtrees.length === 0) return [];
  const rows = await db.query<{ level: number; index: Int8; hash: Uint8Array }>(
    `SELECT n.level, n.index, n.hash
       FROM log_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS wanted(level, index)
         ON n.level = wanted.level AND n.index = wanted.index`,
    [subtrees.map((s) => s.level), subtrees.map((s) => s.index)],
  );
  return rows.map((r) => ({ level: r.level, index: toSafeNumber(r.index), hash: new Uint8Array(r.hash) }));
}

/** The stored subtrees of one level from `from` on, in index order, at most `limit` of them. */
export async function readSubtreeLevel(db: Sql, level: number, from: number, limit: number): Promise<StoredSubtree[]> {
  const rows = await db.query<{ level: number; index: Int8; hash: Uint8Array }>('SELECT level, index, hash FROM log_nodes WHERE level = $1 AND index >= $2 ORDER BY index LIMIT $3', [level, from, limit]);
  return rows.map((r) => ({ level: r.level, index: toSafeNumber(r.index), hash: new Uint8Array(r.hash) }));
}

/**
 * Writes the checkpoint of its size, replacing the note of a checkpoint already stored for that
 * size: only ever a fresh note of the same size, log root and map root (log-writer.ts, `refresh`).
 */
export async function putCheckpoint(tx: Sql, checkpoint: StoredCheckpoint): Promise<void> {
  await tx.query(
    `INSERT INTO log_checkpoints (size, root, note) VALUES ($1, decode($2, 'hex'), $3)
     ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note, created_at = now()`,
    [checkpoint.size, hex(checkpoint.root), checkpoint.note],
  );
}

export async function latestCheckpoint(db: Sql): Promise<StoredCheckpoint | null> {
  const rows = await db.query<{ size: Int8; root: Uint8Array; note: string }>('SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1', [], { prepared: true });
  const row = rows[0];
  return row === undefined ? null : { size: toSafeNumber(row.size), root: new Uint8Array(row.root), note: row.note };
}

/** Whether the log holds exactly this checkpoint: its size with this very note (not one replaced by a fresher note, §5). */
export async function holdsCheckpoint(db: Sql, checkpoint: { size: number; note: string }): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM log_checkpoints WHERE size = $1 AND note = $2', [checkpoint.size, checkpoint.note]);
  return rows.length > 0;
}

export async function readEntries(db: Sql, start: number, limit: number): Promise<StoredLogEntry[]> {
  const rows = await db.query<{ index: Int8; kind: string; accepted_at: Date; record: string }>(
    'SELECT index, kind, accepted_at, record FROM log_entries WHERE index >= $1 ORDER BY index LIMIT $2',
    [start, limit],
  );
  return rows.map((r) => ({ index: toSafeNumber(r.index), kind: r.kind, acceptedAt: r.accepted_at, record: r.record }));
}

/**
 * A row of a page of log entries (db/pages.ts): `record` (canonical JSON) and `acceptedAt` are
 * null for the row after the page, which only says where the next page starts.
 */
export interface EntryPageRow {
  index: number;
  /** ms since the epoch */
  acceptedAt: number | null;
  record: string | null;
}

/** Entries from `start` in index order, cut to a page of at most `maxItems` entries and about `maxBytes` bytes. */
export async function readEntryPage(db: Pick<Database, 'query'>, start: number, bounds: { maxItems: number; maxBytes: number }): Promise<EntryPageRow[]> {
  const source = `SELECT index AS pos, octet_length(record) + ${RECORD_ITEM_OVERHEAD} AS size, floor(extract(epoch FROM accepted_at) * 1000)::bigint AS ms, record
                    FROM log_entries WHERE index >= $1`;
  const rows = await db.query<{ pos: bigint | number | string; ms: bigint | number | string | null; record: string | null }>(
    pageSql(source, ['ms', 'record'], { maxItems: '$2', maxBytes: '$3' }),
    [start, bounds.maxItems, bounds.maxBytes],
  );
  return rows.map((r) => ({ index: toSafeNumber(BigInt(r.pos)), acceptedAt: r.ms === null ? null : toSafeNumber(BigInt(r.ms)), record: r.record }));
}
