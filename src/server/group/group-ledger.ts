/**
 * Group chains as a ledger of the log: decides each write of a batch against the group heads and
 * the admins' identities read under the log lock, in arrival order, so two writes in one batch see
 * each other.
 *
 * The signer rule reads another ledger's state: a group record must be signed with its admin's
 * current identity key. When the same batch also holds identity writes, the identity ledger's
 * decisions so far are the current state (BatchLedgers), so a group record placed after its
 * admin's rotation in the log needs the new key, and one placed before it the old key — exactly
 * what verify-log and clients see when they replay the log in order.
 */
import type { DbClient } from '../../db/client.js';
import { persistGroupChanges, readGroupHeads, type GroupHead, type StoredGroupEntry } from '../../db/group-repository.js';
import { readHeads, type IdentityHead } from '../../db/identity-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { GroupRecord } from '../../protocol/group.js';
import { checkGroupGenesis, checkGroupSuccessor, type AdminIdentity } from '../../protocol/group-rules.js';
import { identityLedger } from '../identity/identity-ledger.js';
import type { BatchLedgers, Ledger, LedgerBatch, LogWrite } from '../log/log-writer.js';

export interface GroupWrite extends LogWrite {
  kind: 'group';
  record: GroupRecord;
  /** Which endpoint it came through: a genesis, or a record for an existing group. */
  mode: 'genesis' | 'successor';
}

class GroupBatch implements LedgerBatch<GroupWrite> {
  private readonly created = new Map<string, GroupHead>();
  private readonly moved = new Map<string, GroupHead>();
  private readonly records: Array<{ index: number; hash: string; record: GroupRecord }> = [];

  constructor(
    private readonly tx: DbClient,
    private readonly heads: Map<string, StoredGroupEntry>,
    private readonly admins: Map<string, IdentityHead>,
    private readonly ledgers: BatchLedgers,
  ) {}

  /** The admin's identity now: as this batch's identity writes left it, else as stored. */
  private admin(userId: string): AdminIdentity | null {
    const decided = this.ledgers.of(identityLedger)?.liveHead(userId);
    if (decided !== undefined) return { publicKey: decided.publicKey, status: decided.status };
    return this.admins.get(userId) ?? null;
  }

  decide(write: GroupWrite, index: number, acceptedAt: number): void {
    const { record } = write;
    const head = this.heads.get(record.groupId);
    if (write.mode === 'genesis') {
      if (head !== undefined) throw new ProtocolError('ALREADY_EXISTS', 'this groupId already has a group');
      checkGroupGenesis(record, this.admin(record.adminId));
    } else {
      if (head === undefined) throw new ProtocolError('NOT_FOUND', 'no group with this groupId');
      checkGroupSuccessor(head, record, this.admin(record.adminId));
    }
    const entry: StoredGroupEntry = { record, hash: write.hash, index, acceptedAt };
    this.heads.set(record.groupId, entry);
    (write.mode === 'genesis' || this.created.has(record.groupId) ? this.created : this.moved).set(record.groupId, entry);
    this.records.push({ index, hash: write.hash, record });
  }

  persist(): Promise<void> {
    return persistGroupChanges(this.tx, { created: [...this.created.values()], moved: [...this.moved.values()], records: this.records });
  }
}

export const groupLedger: Ledger<GroupWrite> = {
  async open(tx, writes, ledgers) {
    const heads = await readGroupHeads(tx, [...new Set(writes.map((w) => w.record.groupId))]);
    const admins = await readHeads(tx, [...new Set(writes.map((w) => w.record.adminId))]);
    return new GroupBatch(tx, heads, admins, ledgers);
  },
};
