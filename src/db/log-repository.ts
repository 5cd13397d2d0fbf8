/**
 * The transparency log's tables: entries (the leaves' contents), perfect-subtree hashes,
 * checkpoints and the sequencer row.
 */
import type { StoredSubtree, Subtree } from '../protocol/merkle.js';
import { type DbClient, toSafeNumber } from './client.js';
import type { Database } from './database.js';
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

/**
 * Takes the log's sequencer lock for the rest of the transaction and returns the current size.
 * Every append takes it first, in every process: the database serialises appends (DESIGN.md §9).
 */
export async function lockLog(tx: DbClient): Promise<number> {
  const rows = await tx.$queryRaw<{ size: bigint }[]>`SELECT size FROM log_state WHERE id = 1 FOR UPDATE`;
  const row = rows[0];
  if (row === undefined) throw new Error('log_state has no row: the database was not migrated');
  return toSafeNumber(row.size);
}

export async function setLogSize(tx: DbClient, size: number): Promise<void> {
  await tx.logState.update({ where: { id: 1 }, data: { size: BigInt(size) } });
}

export async function insertEntries(tx: DbClient, entries: StoredLogEntry[]): Promise<void> {
  await tx.logEntry.createMany({
    data: entries.map((e) => ({ index: BigInt(e.index), kind: e.kind, acceptedAt: e.acceptedAt, record: e.record })),
  });
}

export async function insertSubtrees(tx: DbClient, subtrees: StoredSubtree[]): Promise<void> {
  await tx.logNode.createMany({
    data: subtrees.map((s) => ({ level: s.level, index: BigInt(s.index), hash: s.hash as Uint8Array<ArrayBuffer> })),
  });
}

/** Reads the hashes of the given perfect subtrees; missing ones are simply absent from the map. */
export async function readSubtrees(db: DbClient, subtrees: Subtree[]): Promise<StoredSubtree[]> {
  if (subtrees.length === 0) return [];
  const levels = subtrees.map((s) => s.level);
  const indexes = subtrees.map((s) => BigInt(s.index));
  const rows = await db.$queryRaw<SubtreeRow[]>`
    SELECT n.level, n.index, n.hash
    FROM log_nodes n
    JOIN unnest(${levels}::smallint[], ${indexes}::bigint[]) AS wanted(level, index)
      ON n.level = wanted.level AND n.index = wanted.index`;
  return rows.map(storedSubtree);
}

type SubtreeRow = { level: number; index: bigint; hash: Uint8Array };

function storedSubtree(row: SubtreeRow): StoredSubtree {
  return { level: row.level, index: toSafeNumber(row.index), hash: new Uint8Array(row.hash) };
}

/** The stored subtrees of one level from `from` on, in index order, at most `limit` of them. */
export async function readSubtreeLevel(db: DbClient, level: number, from: number, limit: number): Promise<StoredSubtree[]> {
  const rows = await db.$queryRaw<SubtreeRow[]>`
    SELECT level, index, hash FROM log_nodes WHERE level = ${level} AND index >= ${BigInt(from)} ORDER BY index LIMIT ${limit}`;
  return rows.map(storedSubtree);
}

export async function insertCheckpoint(tx: DbClient, checkpoint: StoredCheckpoint): Promise<void> {
  await tx.logCheckpoint.create({
    data: { size: BigInt(checkpoint.size), root: checkpoint.root as Uint8Array<ArrayBuffer>, note: checkpoint.note },
  });
}

/**
 * Writes the checkpoint of its size, replacing the note of a checkpoint already stored for that
 * size: only ever a fresh note of the same size, log root and map root (log-writer.ts, `refresh`).
 */
export async function putCheckpoint(tx: DbClient, checkpoint: StoredCheckpoint): Promise<void> {
  await tx.logCheckpoint.upsert({
    where: { size: BigInt(checkpoint.size) },
    create: { size: BigInt(checkpoint.size), root: checkpoint.root as Uint8Array<ArrayBuffer>, note: checkpoint.note },
    update: { note: checkpoint.note, createdAt: new Date() },
  });
}

function toCheckpoint(row: { size: bigint; root: Uint8Array; note: string }): StoredCheckpoint {
  return { size: toSafeNumber(row.size), root: new Uint8Array(row.root), note: row.note };
}

export async function latestCheckpoint(db: DbClient): Promise<StoredCheckpoint | null> {
  const row = await db.logCheckpoint.findFirst({ orderBy: { size: 'desc' } });
  return row === null ? null : toCheckpoint(row);
}

export async function readEntries(db: DbClient, start: number, limit: number): Promise<StoredLogEntry[]> {
  const rows = await db.logEntry.findMany({
    where: { index: { gte: BigInt(start) } },
    orderBy: { index: 'asc' },
    take: limit,
  });
  return rows.map((r) => ({ index: toSafeNumber(r.index), kind: r.kind, acceptedAt: r.acceptedAt, record: r.record }));
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
