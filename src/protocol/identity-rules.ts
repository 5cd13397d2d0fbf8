/**
 * The identity chain rules (DESIGN.md §2), as pure functions in the manner of did:plc's
 * `assureValidNextOp`: they are handed the live chain, the proposed record and the time, and
 * either describe the outcome or throw a ProtocolError. The server applies them under the log's
 * lock; verifiers replay them over a chain they fetched.
 *
 * Signatures are checked separately (identity.ts), because they need no state and can be checked
 * before a write waits for the lock.
 */
import { ProtocolError } from './errors.js';
import type { IdentityRecord } from './identity.js';
import { parseTimestamp } from './time.js';

/** How long after the overruled record's acceptance a stronger rotation key may still fork. */
export const RECOVERY_WINDOW_MS = 72 * 60 * 60 * 1000;

/** One accepted record of a chain, with what the log says about it. */
export interface IdentityChainEntry {
  record: IdentityRecord;
  /** recordHash(record) */
  hash: string;
  /** The server's time of acceptance, in ms since the epoch: what recovery windows use. */
  acceptedAt: number;
}

/** What accepting a successor does to the chain. */
export interface SuccessorOutcome<E extends IdentityChainEntry = IdentityChainEntry> {
  /** `update` extends the head; `recovery` forks from an earlier record (DESIGN.md §2). */
  kind: 'update' | 'recovery';
  /** Live records the successor nullifies, oldest first (empty for an update). */
  nullifies: E[];
}

function time(text: string): number {
  return parseTimestamp(text)!; // schema-checked before any rule runs
}

/** Genesis: seq 0, prev null, active (the schema guarantees these together), self-authorised. */
export function checkGenesis(record: IdentityRecord): void {
  if (record.seq !== 0) throw new ProtocolError('SEQ_MISMATCH', 'a genesis record has seq 0');
  if (!record.rotationKeys.includes(record.signer)) {
    throw new ProtocolError('UNAUTHORIZED_SIGNER', "a genesis record is signed by one of its own rotation keys");
  }
}

/**
 * Decides whether `proposed` may follow the live chain `chain` (genesis first, never empty) when
 * accepted at `acceptedAt`: an update of the head, or a recovery from an earlier record.
 */
export function checkSuccessor<E extends IdentityChainEntry>(chain: readonly E[], proposed: IdentityRecord, acceptedAt: number): SuccessorOutcome<E> {
  const head = chain[chain.length - 1]!;
  if (proposed.seq === 0) throw new ProtocolError('SEQ_MISMATCH', 'only the first record of a chain has seq 0');
  if (proposed.prev === head.hash) {
    if (head.record.status === 'revoked') throw new ProtocolError('REVOKED', 'the identity is revoked; only a recovery can follow');
    checkLink(head, proposed);
    return { kind: 'update', nullifies: [] };
  }
  const forkAt = chain.findIndex((entry) => entry.hash === proposed.prev);
  if (forkAt < 0) throw new ProtocolError('PREV_MISMATCH', 'prev is not the head, nor any live record of this identity');
  const forkPoint = chain[forkAt]!;
  const overruled = chain[forkAt + 1]!;
  const strength = forkPoint.record.rotationKeys.indexOf(proposed.signer);
  if (strength < 0) throw new ProtocolError('UNAUTHORIZED_SIGNER', "signer is not one of the rotation keys of the record named by prev");
  if (strength >= forkPoint.record.rotationKeys.indexOf(overruled.record.signer)) {
    throw new ProtocolError('PREV_MISMATCH', 'prev is not the head, and signer is not stronger than the key that signed the record after prev');
  }
  if (acceptedAt - overruled.acceptedAt > RECOVERY_WINDOW_MS) {
    throw new ProtocolError('LATE_RECOVERY', 'the 72-hour recovery window after the overruled record has closed');
  }
  checkLink(forkPoint, proposed);
  return { kind: 'recovery', nullifies: chain.slice(forkAt + 1) };
}

/** The rules every link shares: authorised by the previous record, next seq, later time. */
function checkLink(previous: IdentityChainEntry, proposed: IdentityRecord): void {
  if (proposed.userId !== previous.record.userId) throw new ProtocolError('INVALID_RECORD', 'userId differs from the chain it extends');
  if (!previous.record.rotationKeys.includes(proposed.signer)) {
    throw new ProtocolError('UNAUTHORIZED_SIGNER', "signer is not one of the previous record's rotation keys");
  }
  if (proposed.seq !== previous.record.seq + 1) {
    throw new ProtocolError('SEQ_MISMATCH', `seq must be ${previous.record.seq + 1}`);
  }
  if (time(proposed.createdAt) <= time(previous.record.createdAt)) {
    throw new ProtocolError('TIME_ORDER', "createdAt must be later than the previous record's");
  }
}

/**
 * Replays the rules over a live chain as a verifier receives it (genesis first): each record is a
 * valid link from the one before and only the head may be revoked. Hashes must already be the
 * recomputed hashes of the records. Signatures are not checked here.
 */
export function checkLiveChain(chain: readonly IdentityChainEntry[]): void {
  const genesis = chain[0];
  if (genesis === undefined) throw new ProtocolError('INVALID_RECORD', 'an identity chain has at least its genesis record');
  checkGenesis(genesis.record);
  for (let i = 1; i < chain.length; i++) {
    const previous = chain[i - 1]!;
    const record = chain[i]!.record;
    if (record.prev !== previous.hash) throw new ProtocolError('PREV_MISMATCH', `record ${i} does not name the hash of record ${i - 1} as prev`);
    if (previous.record.status === 'revoked') throw new ProtocolError('REVOKED', `record ${i} follows a revocation`);
    checkLink(previous, record);
  }
}

/** A record in log order, as an audit history gives it. */
export interface IdentityLogEntry extends IdentityChainEntry {
  index: number;
}

/**
 * Replays an identity's whole history in log order (nullified records included) by the same rules
 * the registry applied: which records are live, and which recovery nullified which record. Used
 * by verify-log on the server and by clients checking an audit history.
 */
export class IdentityReplay<E extends IdentityLogEntry = IdentityLogEntry> {
  /** The live chain so far, genesis first. */
  readonly live: E[] = [];
  /** Log index of a nullified record → log index of the recovery that nullified it. */
  readonly nullifiedBy = new Map<number, number>();

  /** Applies the next record in log order, or throws the ProtocolError the registry would have. */
  apply(entry: E): SuccessorOutcome<E> | null {
    if (this.live.length === 0) {
      checkGenesis(entry.record);
      this.live.push(entry);
      return null;
    }
    if (entry.record.userId !== this.live[0]!.record.userId) throw new ProtocolError('INVALID_RECORD', 'the record belongs to another identity');
    const outcome = checkSuccessor(this.live, entry.record, entry.acceptedAt);
    for (const gone of outcome.nullifies) this.nullifiedBy.set(gone.index, entry.index);
    this.live.splice(this.live.length - outcome.nullifies.length, outcome.nullifies.length, entry);
    return outcome;
  }
}
