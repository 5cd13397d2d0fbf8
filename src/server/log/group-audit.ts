/**
 * verify-log's share for group entries: replays every group chain in log order, each record with
 * its admin's identity as the identity replay stands at that point of the log, and compares the
 * group tables (records, heads, the head's members) with the replay.
 */
import { readAllGroupHeads, readAllGroupMembers, readGroupRows, type StoredGroupRow } from '../../db/audit-repository.js';
import type { DbClient } from '../../db/client.js';
import type { GroupRecord } from '../../protocol/group.js';
import { GroupReplay, type AdminIdentity, type GroupChainEntry } from '../../protocol/group-rules.js';
import { recordHash } from '../../protocol/signing.js';

type Report = (index: number | null, message: string) => void;

export class GroupAudit {
  private readonly replays = new Map<string, GroupReplay<GroupChainEntry & { index: number }>>();
  private rows = new Map<number, StoredGroupRow>();

  constructor(
    private readonly db: DbClient,
    private readonly report: Report,
  ) {}

  /** Reads the group_records rows of one page of log entries. */
  async loadPage(indexes: number[]): Promise<void> {
    this.rows = await readGroupRows(this.db, indexes);
  }

  /** Replays the group record at log `index`; `admin` is its adminId's identity just before `index`. */
  replay(index: number, record: GroupRecord, admin: AdminIdentity | null): void {
    const hash = recordHash(record);
    const replay = this.replays.get(record.groupId) ?? new GroupReplay();
    this.replays.set(record.groupId, replay);
    try {
      replay.apply({ record, hash, index }, admin);
    } catch (error) {
      this.report(index, `the group rules refuse this record when replayed: ${(error as Error).message}`);
    }
    const row = this.rows.get(index);
    if (row === undefined) return this.report(index, 'the entry has no group_records row');
    if (row.hash !== hash || row.groupId !== record.groupId || row.seq !== record.seq || row.prevHash !== record.prev || row.adminId !== record.adminId || row.signer !== record.signer) {
      this.report(index, 'the group_records row does not describe this record');
    }
  }

  /** Compares every group's stored head and members with the replayed head. */
  async finish(): Promise<void> {
    const heads = await readAllGroupHeads(this.db);
    const members = await readAllGroupMembers(this.db);
    for (const [groupId, replay] of this.replays) {
      const head = replay.head;
      if (head === undefined) continue;
      const stored = heads.get(groupId);
      if (stored === undefined || stored.index !== head.index || stored.hash !== head.hash || stored.seq !== head.record.seq || stored.name !== head.record.name) {
        this.report(head.index, `the stored head of group ${groupId} is not the replayed head`);
      }
      const expected = head.record.members.map((m) => `${m.userId} ${m.role} ${m.publicKey} ${m.publicBoxKey}`).sort();
      if (JSON.stringify(members.get(groupId) ?? []) !== JSON.stringify(expected)) {
        this.report(head.index, `group_members of group ${groupId} differ from the members of its replayed head`);
      }
    }
    for (const groupId of heads.keys()) if (!this.replays.has(groupId)) this.report(null, `group ${groupId} has a head but no records in the log`);
    for (const groupId of members.keys()) if (!heads.has(groupId)) this.report(null, `group ${groupId} has members but no head`);
  }
}
