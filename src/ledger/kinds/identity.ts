/**
 * Identity records as an entry kind (DESIGN.md §2): a user's live chain is its state; a successor
 * either extends the head or, signed by a stronger rotation key within the recovery window, forks
 * from an earlier record and nullifies the records after it.
 */
import { ProtocolError } from '../../protocol/errors.js';
import type { AdminIdentity } from '../../protocol/group-rules.js';
import { parseAndEncodeIdentityRecord, verifyIdentitySignatures, type IdentityRecord } from '../../protocol/identity.js';
import { checkGenesis, checkSuccessor, type IdentityLogEntry } from '../../protocol/identity-rules.js';
import type { ChainHead, EntryKind, LedgerView } from '../entry-kind.js';

export interface IdentityState {
  /** Each user's live chain, genesis first: its last entry is the head. */
  readonly chains: Map<string, IdentityLogEntry[]>;
  /** Log index of each record a recovery nullified → the recovery's log index. */
  readonly nullifiedBy: Map<number, number>;
}

function headOf(entry: IdentityLogEntry): ChainHead {
  const { record } = entry;
  return { kind: 'identity', id: record.userId, hash: entry.hash, index: entry.index, seq: record.seq, status: record.status };
}

export const identityKind: EntryKind<IdentityRecord, IdentityState> = {
  type: 'identity',
  parseAndEncode: parseAndEncodeIdentityRecord,
  verifySignatures: verifyIdentitySignatures,
  chainId: (record) => record.userId,
  reads: (record) => [{ kind: 'identity', id: record.userId }],
  newState: () => ({ chains: new Map(), nullifiedBy: new Map() }),

  decide(state, write, at) {
    const { record } = write;
    const entry: IdentityLogEntry = { record, hash: write.hash, acceptedAt: at.acceptedAt, index: at.index };
    const chain = state.chains.get(record.userId);
    if (write.mode === 'genesis') {
      if (chain !== undefined) throw new ProtocolError('ALREADY_EXISTS', 'this userId already has an identity');
      checkGenesis(record);
      state.chains.set(record.userId, [entry]);
      return { change: 'genesis', head: headOf(entry) };
    }
    if (chain === undefined) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
    const outcome = checkSuccessor(chain, record, at.acceptedAt);
    for (const gone of outcome.nullifies) state.nullifiedBy.set(gone.index, at.index);
    state.chains.set(record.userId, [...chain.slice(0, chain.length - outcome.nullifies.length), entry]);
    return { change: outcome.kind, head: headOf(entry) };
  },

  head(state, userId) {
    const head = state.chains.get(userId)?.at(-1);
    return head === undefined ? undefined : headOf(head);
  },
};

/**
 * A user's identity as the ledger stands — while an entry is decided, just before it: the head of
 * the live chain, or null when the user has none (yet). What a group record's signer is checked
 * against (DESIGN.md §4).
 */
export function identityAt(ledger: LedgerView, userId: string): AdminIdentity | null {
  const head = ledger.of(identityKind).chains.get(userId)?.at(-1)?.record;
  return head === undefined ? null : { publicKey: head.publicKey, status: head.status };
}
