/**
 * Group records as an entry kind (DESIGN.md §4): a group's head is its state. The signer rule reads
 * another kind's state: a group record must be signed with its admin's identity key as the ledger
 * stands just before the record, so a record placed after its admin's rotation needs the new key
 * and one placed before it the old key — in the registry's batches and in every replay alike.
 */
import { ProtocolError } from '../../protocol/errors.js';
import { parseAndEncodeGroupRecord, verifyGroupSignature, type GroupRecord } from '../../protocol/group.js';
import { checkGroupGenesis, checkGroupSuccessor, type GroupChainEntry } from '../../protocol/group-rules.js';
import type { ChainHead, EntryKind } from '../entry-kind.js';
import { identityAt } from './identity.js';

/** A group record as the ledger holds it: with its log index and acceptance time (ms). */
export interface GroupLogEntry extends GroupChainEntry {
  index: number;
  acceptedAt: number;
}

export interface GroupState {
  /** Each group's head. */
  readonly heads: Map<string, GroupLogEntry>;
}

function headOf(entry: GroupLogEntry): ChainHead {
  return { kind: 'group', id: entry.record.groupId, hash: entry.hash, index: entry.index, seq: entry.record.seq, status: 'active' };
}

export const groupKind: EntryKind<GroupRecord, GroupState> = {
  type: 'group',
  parseAndEncode: parseAndEncodeGroupRecord,
  verifySignatures: verifyGroupSignature,
  chainId: (record) => record.groupId,
  reads: (record) => [
    { kind: 'group', id: record.groupId },
    { kind: 'identity', id: record.adminId },
  ],
  newState: () => ({ heads: new Map() }),

  decide(state, write, at, ledger) {
    const { record } = write;
    const head = state.heads.get(record.groupId);
    if (write.mode === 'genesis') {
      if (head !== undefined) throw new ProtocolError('ALREADY_EXISTS', 'this groupId already has a group');
      checkGroupGenesis(record, identityAt(ledger, record.adminId));
    } else {
      if (head === undefined) throw new ProtocolError('NOT_FOUND', 'no group with this groupId');
      checkGroupSuccessor(head, record, identityAt(ledger, record.adminId));
    }
    const entry: GroupLogEntry = { record, hash: write.hash, index: at.index, acceptedAt: at.acceptedAt };
    state.heads.set(record.groupId, entry);
    return { change: write.mode === 'genesis' ? 'genesis' : 'update', head: headOf(entry) };
  },

  head(state, groupId) {
    const head = state.heads.get(groupId);
    return head === undefined ? undefined : headOf(head);
  },
};
