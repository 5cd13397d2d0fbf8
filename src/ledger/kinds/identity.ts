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
import { checkNewKeys, keyStrings } from './new-keys.js';

export interface IdentityState {
  /** Each user's live chain, genesis first: its last entry is the head. */
  readonly chains: Map<string, IdentityLogEntry[]>;
  /** Log index of each record a recovery nullified → the recovery's log index. */
  readonly nullifiedBy: Map<number, number>;
}

/** A record's Ed25519 keys (its X25519 box key has a rule of its own, checked at parse). */
function ed25519KeysOf(record: IdentityRecord): string[] {
  return [record.publicKey, ...record.rotationKeys, record.signer];
}

/**
 * The keys of an unparsed successor whose check the registry puts off until decide (deferEd25519KeyChecks):
 * its signer, which must be a rotation key of a stored record, and its rotation keys, which a
 * rotation of the signing key keeps. Not its publicKey, new in most successors: checked at parse,
 * before the log's lock, as ever.
 */
export function identityKeysToDefer(body: unknown): Set<string> {
  const { signer, rotationKeys } = (typeof body === 'object' && body !== null ? body : {}) as { signer?: unknown; rotationKeys?: unknown };
  return keyStrings([signer, ...(Array.isArray(rotationKeys) ? rotationKeys : [])]);
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
    // First, as a parse would refuse a bad key before anything else (new-keys.ts).
    checkNewKeys(ed25519KeysOf(record), new Set(chain?.flatMap((stored) => ed25519KeysOf(stored.record))));
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
