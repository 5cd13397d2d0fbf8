/** Group chains: every accepted record, each group's head, and the members of each head. */
import type { GroupMember, GroupRecord } from '../protocol/group.js';
import type { GroupChainEntry } from '../protocol/group-rules.js';
import { chunks, type DbClient, toSafeNumber } from './client.js';
import type { Database } from './database.js';
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

/** The heads of the given groups; groups that do not exist are absent. */
export async function readGroupHeads(db: DbClient, groupIds: string[]): Promise<Map<string, StoredGroupEntry>> {
  const rows = await db.group.findMany({
    where: { groupId: { in: groupIds } },
    select: { groupId: true, headIndex: true, headHash: true },
  });
  if (rows.length === 0) return new Map();
  const entries = await db.logEntry.findMany({ where: { index: { in: rows.map((r) => r.headIndex) } }, select: { index: true, acceptedAt: true, record: true } });
  const byIndex = new Map(entries.map((e) => [e.index, e]));
  const heads = new Map<string, StoredGroupEntry>();
  for (const row of rows) {
    const entry = byIndex.get(row.headIndex)!; // a foreign key guarantees it
    heads.set(row.groupId, { index: toSafeNumber(row.headIndex), hash: row.headHash, acceptedAt: entry.acceptedAt.getTime(), record: parseStored(entry.record) });
  }
  return heads;
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

function memberRows(head: GroupHead) {
  return head.record.members.map((m) => ({ groupId: head.record.groupId, userId: m.userId, role: m.role, publicKey: m.publicKey, publicBoxKey: m.publicBoxKey }));
}

/** Writes one batch's group changes. The caller holds the log lock and inserted the log entries. */
export async function persistGroupChanges(tx: DbClient, changes: GroupChanges): Promise<void> {
  for (const created of chunks(changes.created)) {
    await tx.group.createMany({
      data: created.map((h) => ({ groupId: h.record.groupId, headIndex: BigInt(h.index), headHash: h.hash, seq: h.record.seq, name: h.record.name })),
    });
  }
  for (const records of chunks(changes.records)) {
    await tx.groupRecord.createMany({
      data: records.map(({ index, hash, record }) => ({
        logIndex: BigInt(index),
        groupId: record.groupId,
        seq: record.seq,
        hash,
        prevHash: record.prev,
        adminId: record.adminId,
        signer: record.signer,
      })),
    });
  }
  for (const head of changes.moved) {
    await tx.group.update({
      where: { groupId: head.record.groupId },
      data: { headIndex: BigInt(head.index), headHash: head.hash, seq: head.record.seq, name: head.record.name },
    });
  }
  // The members of a moved head replace the old head's: a member list is at most 500 rows.
  if (changes.moved.length > 0) await tx.groupMember.deleteMany({ where: { groupId: { in: changes.moved.map((h) => h.record.groupId) } } });
  const members = [...changes.created, ...changes.moved].flatMap(memberRows);
  for (const rows of chunks(members, MEMBER_ROWS_PER_STATEMENT)) await tx.groupMember.createMany({ data: rows });
}

/**
 * A batch of 256 updates of 500-member groups is 128,000 member rows: insert them in statements
 * well under Postgres's 65,535 bind parameters (5 a row).
 */
const MEMBER_ROWS_PER_STATEMENT = 2000;
