/** Identity chains: every accepted record, which of them are live, and each user's head. */
import type { IdentityRecord } from '../protocol/identity.js';
import type { IdentityChainEntry } from '../protocol/identity-rules.js';
import { chunks, type DbClient, toSafeNumber } from './client.js';
import type { Database } from './database.js';
import { pageSql, RECORD_ITEM_OVERHEAD } from './pages.js';

/** A chain entry as stored: the record, its hash, its log index and acceptance time. */
export interface StoredIdentityEntry extends IdentityChainEntry {
  index: number;
}

export interface HistoryEntry extends StoredIdentityEntry {
  /** The log index of the recovery that nullified this record, or null while it counts. */
  nullifiedBy: number | null;
}

/** A record to insert, in its final state for this batch. */
export interface NewIdentityRecord {
  index: number;
  record: IdentityRecord;
  hash: string;
  nullifiedBy: number | null;
}

export interface IdentityHead {
  userId: string;
  index: number;
  hash: string;
  status: 'active' | 'revoked';
  publicKey: string;
}

export interface IdentityChanges {
  /** Users whose genesis is in this batch, with their final head. */
  created: IdentityHead[];
  /** Existing users whose head moved, with their final head. */
  moved: IdentityHead[];
  records: NewIdentityRecord[];
  /** Already stored records that a recovery in this batch nullified. */
  nullified: Array<{ index: number; by: number }>;
}

type RecordRow = {
  userId: string;
  logIndex: bigint;
  hash: string;
  nullifiedBy: bigint | null;
  entry: { acceptedAt: Date; record: string };
};

function toEntry(row: RecordRow): HistoryEntry {
  return {
    index: toSafeNumber(row.logIndex),
    hash: row.hash,
    acceptedAt: row.entry.acceptedAt.getTime(),
    // Stored text is canonical JSON the registry validated before it accepted it.
    record: JSON.parse(row.entry.record) as IdentityRecord,
    nullifiedBy: row.nullifiedBy === null ? null : toSafeNumber(row.nullifiedBy),
  };
}

const RECORD_FIELDS = {
  userId: true,
  logIndex: true,
  hash: true,
  nullifiedBy: true,
  entry: { select: { acceptedAt: true, record: true } },
} as const;

/** The live chains (genesis first) of the given users; users without one are absent. */
export async function readLiveChains(db: DbClient, userIds: string[]): Promise<Map<string, StoredIdentityEntry[]>> {
  const rows = await db.identityRecord.findMany({
    where: { userId: { in: userIds }, nullifiedBy: null },
    orderBy: [{ userId: 'asc' }, { seq: 'asc' }],
    select: RECORD_FIELDS,
  });
  const chains = new Map<string, StoredIdentityEntry[]>();
  for (const row of rows) {
    const chain = chains.get(row.userId) ?? [];
    chain.push(toEntry(row));
    chains.set(row.userId, chain);
  }
  return chains;
}

/**
 * A row of a page of a user's history (db/pages.ts): the record as stored (canonical JSON) and
 * whether a recovery nullified it — all null but `index` for the row after the page.
 */
export interface HistoryPageRow {
  index: number;
  /** ms since the epoch */
  acceptedAt: number | null;
  record: string | null;
  nullified: boolean | null;
}

/** The user's records from log index `start` on, in log order, cut to a page. */
export async function readHistoryPage(db: Pick<Database, 'query'>, userId: string, start: number, bounds: { maxItems: number; maxBytes: number }): Promise<HistoryPageRow[]> {
  const source = `SELECT r.log_index AS pos, octet_length(e.record) + ${RECORD_ITEM_OVERHEAD} AS size, floor(extract(epoch FROM e.accepted_at) * 1000)::bigint AS ms,
                         e.record, r.nullified_by IS NOT NULL AS nullified
                    FROM identity_records r JOIN log_entries e ON e.index = r.log_index
                   WHERE r.user_id = $1 AND r.log_index >= $2`;
  const rows = await db.query<{ pos: bigint | number | string; ms: bigint | number | string | null; record: string | null; nullified: boolean | null }>(
    pageSql(source, ['ms', 'record', 'nullified'], { maxItems: '$3', maxBytes: '$4' }),
    [userId, start, bounds.maxItems, bounds.maxBytes],
  );
  return rows.map((r) => ({ index: toSafeNumber(BigInt(r.pos)), acceptedAt: r.ms === null ? null : toSafeNumber(BigInt(r.ms)), record: r.record, nullified: r.nullified }));
}

/**
 * Whether `hash` names a live record of this user that is not its head — a fork point, after
 * which only a recovery can be accepted (DESIGN.md §2). A live record is a fork point exactly when
 * a live record names it as prev, so this is one read of the (user_id, live_prev) unique index.
 * A record that is a fork point never becomes the head again: heads only move to new records.
 */
export async function isForkPoint(db: DbClient, userId: string, hash: string): Promise<boolean> {
  const successor = await db.identityRecord.findFirst({ where: { userId, livePrev: hash }, select: { logIndex: true } });
  return successor !== null;
}

export async function readHead(db: DbClient, userId: string): Promise<IdentityHead | null> {
  const row = await db.identity.findUnique({ where: { userId } });
  if (row === null) return null;
  return { userId, index: toSafeNumber(row.headIndex), hash: row.headHash, status: row.status as IdentityHead['status'], publicKey: row.publicKey };
}

/** Writes one batch's identity changes. The caller holds the log lock and inserted the log entries. */
export async function persistIdentityChanges(tx: DbClient, changes: IdentityChanges): Promise<void> {
  // Nullify first: the recovery record takes over the nullified record's live seq and prev.
  for (const { index, by } of changes.nullified) {
    await tx.identityRecord.update({
      where: { logIndex: BigInt(index) },
      data: { nullifiedBy: BigInt(by), liveSeq: null, livePrev: null },
    });
  }
  for (const created of chunks(changes.created)) {
    await tx.identity.createMany({
      data: created.map((h) => ({ userId: h.userId, headIndex: BigInt(h.index), headHash: h.hash, status: h.status, publicKey: h.publicKey })),
    });
  }
  for (const records of chunks(changes.records)) {
    await tx.identityRecord.createMany({
      data: records.map(({ index, record, hash, nullifiedBy }) => ({
        logIndex: BigInt(index),
        userId: record.userId,
        seq: record.seq,
        hash,
        prevHash: record.prev,
        liveSeq: nullifiedBy === null ? record.seq : null,
        livePrev: nullifiedBy === null ? record.prev : null,
        nullifiedBy: nullifiedBy === null ? null : BigInt(nullifiedBy),
      })),
    });
  }
  if (changes.moved.length > 0) {
    // One statement for the whole batch; the WHERE keeps a head from moving to an older record.
    await tx.$executeRaw`
      UPDATE identities AS i
      SET head_index = v.head_index, head_hash = v.head_hash, status = v.status, public_key = v.public_key
      FROM unnest(
        ${changes.moved.map((h) => h.userId)}::text[],
        ${changes.moved.map((h) => BigInt(h.index))}::bigint[],
        ${changes.moved.map((h) => h.hash)}::text[],
        ${changes.moved.map((h) => h.status)}::text[],
        ${changes.moved.map((h) => h.publicKey)}::text[]
      ) AS v(user_id, head_index, head_hash, status, public_key)
      WHERE i.user_id = v.user_id AND i.head_index < v.head_index`;
  }
}
