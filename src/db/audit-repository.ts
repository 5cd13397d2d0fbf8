/** Raw reads for auditing the stored log: everything, in pages, exactly as stored. */
import { type DbClient, toSafeNumber } from './client.js';
import type { StoredCheckpoint } from './log-repository.js';

export interface StoredIdentityRow {
  index: number;
  userId: string;
  seq: number;
  hash: string;
  nullifiedBy: number | null;
}

export async function readIdentityRows(db: DbClient, indexes: number[]): Promise<Map<number, StoredIdentityRow>> {
  const rows = await db.identityRecord.findMany({ where: { logIndex: { in: indexes.map(BigInt) } } });
  return new Map(
    rows.map((r) => [
      toSafeNumber(r.logIndex),
      { index: toSafeNumber(r.logIndex), userId: r.userId, seq: r.seq, hash: r.hash, nullifiedBy: r.nullifiedBy === null ? null : toSafeNumber(r.nullifiedBy) },
    ]),
  );
}

export async function readAllCheckpoints(db: DbClient): Promise<StoredCheckpoint[]> {
  const rows = await db.logCheckpoint.findMany({ orderBy: { size: 'asc' } });
  return rows.map((r) => ({ size: toSafeNumber(r.size), root: new Uint8Array(r.root), note: r.note }));
}

export async function readAllHeads(db: DbClient): Promise<Map<string, { index: number; hash: string }>> {
  const rows = await db.identity.findMany({ select: { userId: true, headIndex: true, headHash: true } });
  return new Map(rows.map((r) => [r.userId, { index: toSafeNumber(r.headIndex), hash: r.headHash }]));
}

export async function readLogStateSize(db: DbClient): Promise<number> {
  const row = await db.logState.findUnique({ where: { id: 1 } });
  return row === null ? -1 : toSafeNumber(row.size);
}

export interface StoredGroupRow {
  index: number;
  groupId: string;
  seq: number;
  hash: string;
  prevHash: string | null;
  adminId: string;
  signer: string;
}

export async function readGroupRows(db: DbClient, indexes: number[]): Promise<Map<number, StoredGroupRow>> {
  if (indexes.length === 0) return new Map();
  const rows = await db.groupRecord.findMany({ where: { logIndex: { in: indexes.map(BigInt) } } });
  return new Map(
    rows.map((r) => [toSafeNumber(r.logIndex), { index: toSafeNumber(r.logIndex), groupId: r.groupId, seq: r.seq, hash: r.hash, prevHash: r.prevHash, adminId: r.adminId, signer: r.signer }]),
  );
}

export async function readAllGroupHeads(db: DbClient): Promise<Map<string, { index: number; hash: string; seq: number; name: string }>> {
  const rows = await db.group.findMany({ select: { groupId: true, headIndex: true, headHash: true, seq: true, name: true } });
  return new Map(rows.map((r) => [r.groupId, { index: toSafeNumber(r.headIndex), hash: r.headHash, seq: r.seq, name: r.name }]));
}

/** Every group_members row, as `groupId → "userId role publicKey publicBoxKey"` lines sorted by userId. */
export async function readAllGroupMembers(db: DbClient): Promise<Map<string, string[]>> {
  const rows = await db.groupMember.findMany();
  const members = new Map<string, string[]>();
  for (const r of rows) {
    const list = members.get(r.groupId) ?? [];
    list.push(`${r.userId} ${r.role} ${r.publicKey} ${r.publicBoxKey}`);
    members.set(r.groupId, list);
  }
  for (const list of members.values()) list.sort();
  return members;
}
