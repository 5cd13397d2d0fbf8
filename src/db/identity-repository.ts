/** Identity chains: every accepted record, which of them are live, and each user's head. */
import type { IdentityRecord } from '../protocol/identity.js';
import type { IdentityChainEntry } from '../protocol/identity-rules.js';
import { type DbClient, toSafeNumber } from './client.js';
import type { BatchStatement, Database, Sql } from './database.js';
import { pageSql, RECORD_ITEM_OVERHEAD } from './pages.js';

/** A chain entry as stored: the record, its hash, its log index and acceptance time. */
export interface StoredIdentityEntry extends IdentityChainEntry {
  index: number;
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

/**
 * The live chains (genesis first) of the given users; users without one are absent. One
 * statement, run by every batch of the log writer: prepared, and on the embedded database a
 * session function (planning it there cost more than running it).
 */
export async function readLiveChains(db: Sql, userIds: string[]): Promise<Map<string, StoredIdentityEntry[]>> {
  const rows = await db.query<{ user_id: string; log_index: string | number; hash: string; accepted_at: Date; record: string }>(
    `SELECT r.user_id, r.log_index, r.hash, e.accepted_at, e.record
       FROM identity_records r JOIN log_entries e ON e.index = r.log_index
      WHERE r.user_id = ANY($1::text[]) AND r.nullified_by IS NULL
      ORDER BY r.user_id, r.seq`,
    [userIds],
    {
      prepared: true,
      embedded: {
        params: ['text[]'],
        columns: [['user_id', 'text'], ['log_index', 'bigint'], ['hash', 'text'], ['accepted_at', 'timestamptz'], ['record', 'text']],
        // Along a chain the log index grows with seq: genesis first.
        orderBy: ['user_id', 'log_index'],
      },
    },
  );
  const chains = new Map<string, StoredIdentityEntry[]>();
  for (const row of rows) {
    const chain = chains.get(row.user_id) ?? [];
    chain.push({
      index: toSafeNumber(row.log_index),
      hash: row.hash,
      acceptedAt: row.accepted_at.getTime(),
      // Stored text is canonical JSON the registry validated before it accepted it.
      record: JSON.parse(row.record) as IdentityRecord,
    });
    chains.set(row.user_id, chain);
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

/**
 * One batch's identity changes as statements (for SqlSession.batch), one per table whatever the
 * batch's size (each column an array parameter). The caller holds the log lock and writes the log
 * entries in the same batch, before them.
 */
export function identityChangeStatements(changes: IdentityChanges): BatchStatement[] {
  const statements: BatchStatement[] = [];
  // Nullify first: the recovery record takes over the nullified record's live seq and prev.
  if (changes.nullified.length > 0) {
    statements.push({
      types: ['bigint[]', 'bigint[]'],
      params: [changes.nullified.map((n) => n.index), changes.nullified.map((n) => n.by)],
      sql: ([index, by]) => `UPDATE identity_records AS r SET nullified_by = v.by, live_seq = NULL, live_prev = NULL
         FROM unnest(${index}, ${by}) AS v(index, by)
        WHERE r.log_index = v.index`,
    });
  }
  const heads = (list: IdentityHead[]) => [list.map((h) => h.userId), list.map((h) => h.index), list.map((h) => h.hash), list.map((h) => h.status), list.map((h) => h.publicKey)];
  const headTypes = ['text[]', 'bigint[]', 'text[]', 'text[]', 'text[]'];
  if (changes.created.length > 0) {
    statements.push({
      types: headTypes,
      params: heads(changes.created),
      sql: (refs) => `INSERT INTO identities (user_id, head_index, head_hash, status, public_key) SELECT * FROM unnest(${refs.join(', ')})`,
    });
  }
  if (changes.records.length > 0) {
    const rows = changes.records;
    const live = (row: NewIdentityRecord) => row.nullifiedBy === null;
    statements.push({
      types: ['bigint[]', 'text[]', 'int[]', 'text[]', 'text[]', 'int[]', 'text[]', 'bigint[]'],
      params: [
        rows.map((r) => r.index),
        rows.map((r) => r.record.userId),
        rows.map((r) => r.record.seq),
        rows.map((r) => r.hash),
        rows.map((r) => r.record.prev),
        rows.map((r) => (live(r) ? r.record.seq : null)),
        rows.map((r) => (live(r) ? r.record.prev : null)),
        rows.map((r) => r.nullifiedBy),
      ],
      sql: (refs) => `INSERT INTO identity_records (log_index, user_id, seq, hash, prev_hash, live_seq, live_prev, nullified_by) SELECT * FROM unnest(${refs.join(', ')})`,
    });
  }
  if (changes.moved.length > 0) {
    // The WHERE keeps a head from moving to an older record; a head that did not move fails the batch.
    statements.push({
      types: headTypes,
      params: heads(changes.moved),
      sql: (refs) => `UPDATE identities AS i
          SET head_index = v.head_index, head_hash = v.head_hash, status = v.status, public_key = v.public_key
         FROM unnest(${refs.join(', ')}) AS v(user_id, head_index, head_hash, status, public_key)
        WHERE i.user_id = v.user_id AND i.head_index < v.head_index`,
      writes: { rows: changes.moved.length, what: 'identity heads' },
    });
  }
  return statements;
}
