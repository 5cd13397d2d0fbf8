/** Group chains: every accepted record, each group's head, and the members of each head. */
import type { GroupMember, GroupRecord } from '../protocol/group.js';
import type { GroupChainEntry } from '../protocol/group-rules.js';
import { chunks, toSafeNumber } from './client.js';
import type { BatchStatement, Database, Sql } from './database.js';
import { pageSql } from './pages.js';

/** A chain entry as stored: the record, its hash, its log index and acceptance time. */
export interface StoredGroupEntry extends GroupChainEntry {
  index: number;
  /** ms since the epoch */
  acceptedAt: number;
}

/** A group's head after a batch, with what the groups and group_members tables keep of it. */
export interface GroupHead {
  index: number;
  hash: string;
  record: GroupRecord;
}

export interface GroupChanges {
  /** Groups whose genesis is in this batch, with their final head. */
  created: GroupHead[];
  /** Existing groups whose head moved, with their final head. */
  moved: GroupHead[];
  /** Every record the batch accepted, in log order. */
  records: Array<{ index: number; hash: string; record: GroupRecord }>;
}

/** One group that lists a user, as `GET /v1/users/{userId}/groups` shows it. */
export interface UserGroup {
  groupId: string;
  name: string;
  role: GroupMember['role'];
  /** The log index of the group's head record, the one that lists the user. */
  headIndex: number;
}

function parseStored(text: string): GroupRecord {
  // Stored text is canonical JSON the registry validated before it accepted it.
  return JSON.parse(text) as GroupRecord;
}

/** The heads of the given groups; groups that do not exist are absent. One statement, as readLiveChains's. */
export async function readGroupHeads(db: Sql, groupIds: string[]): Promise<Map<string, StoredGroupEntry>> {
  const rows = await db.query<{ group_id: string; head_index: string | number; head_hash: string; accepted_at: Date; record: string }>(
    `SELECT g.group_id, g.head_index, g.head_hash, e.accepted_at, e.record
       FROM groups g JOIN log_entries e ON e.index = g.head_index
      WHERE g.group_id = ANY($1::text[])`,
    [groupIds],
    {
      prepared: true,
      embedded: { params: ['text[]'], columns: [['group_id', 'text'], ['head_index', 'bigint'], ['head_hash', 'text'], ['accepted_at', 'timestamptz'], ['record', 'text']] },
    },
  );
  return new Map(
    rows.map((row) => [row.group_id, { index: toSafeNumber(row.head_index), hash: row.head_hash, acceptedAt: row.accepted_at.getTime(), record: parseStored(row.record) }]),
  );
}

/**
 * The groups whose head lists `userId`, from groupId `start` on in groupId order, cut to a page
 * (db/pages.ts): the row after the page has only its groupId. One read of the group_members(user_id) index.
 */
export async function readGroupsOfPage(db: Pick<Database, 'query'>, userId: string, start: string, bounds: { maxItems: number; maxBytes: number }): Promise<Array<{ groupId: string; group: UserGroup | null }>> {
  // An item is {"groupId":…,"name":…,"role":…,"headIndex":…}: 100 bytes besides the name, which JSON may escape to twice its length.
  const source = `SELECT m.group_id AS pos, 2 * octet_length(g.name) + 100 AS size, g.name, m.role, g.head_index
                    FROM group_members m JOIN groups g ON g.group_id = m.group_id
                   WHERE m.user_id = $1 AND m.group_id >= $2`;
  const rows = await db.query<{ pos: string; name: string | null; role: string | null; head_index: bigint | number | string | null }>(
    pageSql(source, ['name', 'role', 'head_index'], { maxItems: '$3', maxBytes: '$4' }),
    [userId, start, bounds.maxItems, bounds.maxBytes],
  );
  return rows.map((r) => ({
    groupId: r.pos,
    group: r.name === null ? null : { groupId: r.pos, name: r.name, role: r.role as GroupMember['role'], headIndex: toSafeNumber(BigInt(r.head_index!)) },
  }));
}

/**
 * One batch's group changes as statements (for SqlSession.batch), one per table (each column an
 * array parameter; member rows in slices). The caller holds the log lock and writes the log
 * entries in the same batch, before them.
 */
export function groupChangeStatements(changes: GroupChanges): BatchStatement[] {
  const statements: BatchStatement[] = [];
  const heads = (list: GroupHead[]) => [
    list.map((h) => h.record.groupId),
    list.map((h) => h.index),
    list.map((h) => h.hash),
    list.map((h) => h.record.seq),
    list.map((h) => h.record.name),
  ];
  const headTypes = ['text[]', 'bigint[]', 'text[]', 'int[]', 'text[]'];
  if (changes.created.length > 0) {
    statements.push({
      types: headTypes,
      params: heads(changes.created),
      sql: (refs) => `INSERT INTO groups (group_id, head_index, head_hash, seq, name) SELECT * FROM unnest(${refs.join(', ')})`,
    });
  }
  if (changes.records.length > 0) {
    const rows = changes.records;
    statements.push({
      types: ['bigint[]', 'text[]', 'int[]', 'text[]', 'text[]', 'text[]', 'text[]'],
      params: [
        rows.map((r) => r.index),
        rows.map((r) => r.record.groupId),
        rows.map((r) => r.record.seq),
        rows.map((r) => r.hash),
        rows.map((r) => r.record.prev),
        rows.map((r) => r.record.adminId),
        rows.map((r) => r.record.signer),
      ],
      sql: (refs) => `INSERT INTO group_records (log_index, group_id, seq, hash, prev_hash, admin_id, signer) SELECT * FROM unnest(${refs.join(', ')})`,
    });
  }
  if (changes.moved.length > 0) {
    // As for identities: a head moves only forward, and one that did not move fails the batch.
    statements.push({
      types: headTypes,
      params: heads(changes.moved),
      sql: (refs) => `UPDATE groups AS g SET head_index = v.head_index, head_hash = v.head_hash, seq = v.seq, name = v.name
         FROM unnest(${refs.join(', ')}) AS v(group_id, head_index, head_hash, seq, name)
        WHERE g.group_id = v.group_id AND g.head_index < v.head_index`,
      writes: { rows: changes.moved.length, what: 'group heads' },
    });
    // The members of a moved head replace the old head's: a member list is at most 500 rows.
    statements.push({
      types: ['text[]'],
      params: [changes.moved.map((h) => h.record.groupId)],
      sql: ([groupIds]) => `DELETE FROM group_members WHERE group_id = ANY(${groupIds})`,
    });
  }
  const members = [...changes.created, ...changes.moved].flatMap((head) => head.record.members.map((m) => ({ groupId: head.record.groupId, ...m })));
  for (const rows of chunks(members, MEMBER_ROWS_PER_STATEMENT)) {
    statements.push({
      types: ['text[]', 'text[]', 'text[]', 'text[]', 'text[]'],
      params: [rows.map((m) => m.groupId), rows.map((m) => m.userId), rows.map((m) => m.role), rows.map((m) => m.publicKey), rows.map((m) => m.publicBoxKey)],
      sql: (refs) => `INSERT INTO group_members (group_id, user_id, role, public_key, public_box_key) SELECT * FROM unnest(${refs.join(', ')})`,
    });
  }
  return statements;
}

/** A batch of 256 updates of 500-member groups is 128,000 member rows: inserted in slices, so no one statement is megabytes long. */
const MEMBER_ROWS_PER_STATEMENT = 2000;
