/**
 * Typed SDK errors with stable codes. A `VerificationError` means the registry's answer failed a
 * check: nothing from that answer was returned. A `RegistryError` is the registry refusing a
 * request (its problem+json code). Branch on `code`, never on the message.
 */
import type { CheckpointFailure, NoteKey } from '../protocol/checkpoint.js';
import { toHex } from '../protocol/encoding.js';
import type { ErrorCode } from '../protocol/errors.js';
import type { VerifiedRegistryCheckpoint } from './map-verify.js';

export type VerificationCode =
  /** The answer is not the JSON the API promises (wrong shape, bad encoding). */
  | 'INVALID_RESPONSE'
  /** A record in the answer breaks its schema, or is about another userId. */
  | 'INVALID_RECORD'
  /** A record's `sig` or `publicKeyProof` does not verify. */
  | 'BAD_SIGNATURE'
  /** The chain skips a record (a seq is missing). */
  | 'CHAIN_GAP'
  /** The chain's records are out of order. */
  | 'CHAIN_ORDER'
  /** A record does not link to the one before it (prev hash, signer, or time). */
  | 'CHAIN_BROKEN'
  /** The proof is not for the chain's head record. */
  | 'HEAD_MISMATCH'
  /** The inclusion proof does not lead to the checkpoint's root. */
  | 'BAD_INCLUSION_PROOF'
  /** The checkpoint is malformed, for another origin, or not signed by the pinned registry key. */
  | 'BAD_CHECKPOINT'
  /** The checkpoint contradicts one this client saw before: the log was forked or rewritten. */
  | 'LOG_FORK'
  /** The checkpoint lacks the cosignatures the client's witness policy requires (k of its n witnesses, valid, not from the future). */
  | 'INSUFFICIENT_COSIGNATURES'
  /**
   * An answer that is not the latest: a head that is not the key map's value at the answer's
   * checkpoint (an old head shown with a current checkpoint), a map proof that does not reach the
   * checkpoint's map root or says the id is absent, or an answer older than one this client
   * already verified (e.g. from before a rotation it saw).
   */
  | 'STALE_ANSWER'
  /**
   * A `404 NOT_FOUND` for an identity or group whose absence is not proven: no or a malformed
   * `mapProof` or `checkpoint`, a checkpoint that does not verify, or a map proof that does not
   * reach its map root or says the id is present. The id may well exist.
   */
  | 'UNVERIFIED_ABSENCE'
  /** A checkpoint whose `time` is older than the client's `maxCheckpointAgeMs` (default 10 minutes). */
  | 'STALE_CHECKPOINT'
  /**
   * An audit history that is not the whole history: its last entry is not the key map's head for
   * the id, or a record names as `prev` a record the history leaves out.
   */
  | 'INCOMPLETE_HISTORY'
  /** Registries asked together disagree (lookupQuorum). */
  | 'QUORUM_DISAGREEMENT'
  /**
   * A group record's signer was not authorised: its adminId was not an admin of the group's head,
   * or `signer` was not that admin's registry key just before the record's log index.
   */
  | 'BAD_GROUP_SIGNER'
  /** A device record's signature or signer is wrong. */
  | 'BAD_DEVICE'
  /** Sealed messages: box, signature, addressing, freshness or replay failures. */
  | 'BAD_BOX'
  | 'WRONG_RECIPIENT'
  | 'STALE_MESSAGE'
  | 'REPLAYED_MESSAGE';

export class VerificationError extends Error {
  constructor(
    readonly code: VerificationCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'VerificationError';
  }
}

/**
 * Why a checkpoint was refused: the reasons of Go's note.Open (checkpoint.ts), and `FUTURE_TIME`,
 * a checkpoint whose `time` is more than 5 minutes ahead of the client's clock. A registry
 * checkpoint without the `map` and `time` lines is `MALFORMED`.
 */
export type CheckpointReason = CheckpointFailure['reason'] | 'FUTURE_TIME';

const CHECKPOINT_FAILURES: Record<CheckpointReason, string> = {
  MALFORMED: 'the checkpoint is not a well-formed signed registry checkpoint (with its map and time lines)',
  WRONG_ORIGIN: 'the checkpoint is for another log than',
  UNKNOWN_KEY: 'the checkpoint is not signed by the pinned key of',
  BAD_SIGNATURE: 'the checkpoint has a bad signature by the pinned key of',
  FUTURE_TIME: 'the checkpoint is dated more than 5 minutes after this client’s clock, signed by',
};

/**
 * A checkpoint that does not verify against the pinned key (code BAD_CHECKPOINT), with why
 * (`reason`, as Go's note.Open tells, or FUTURE_TIME) and, for UNKNOWN_KEY, the pinned and
 * presented key ids.
 */
export class CheckpointError extends VerificationError {
  readonly reason: CheckpointReason;
  /** The pinned key's id (8 hex digits). */
  readonly pinnedKeyId: string;
  /** The key ids of the note's signature lines, for UNKNOWN_KEY; empty otherwise. */
  readonly presentedKeyIds: string[];

  constructor(failure: CheckpointFailure | { reason: 'FUTURE_TIME' }, key: NoteKey) {
    const pinnedKeyId = toHex(key.keyId);
    const presentedKeyIds = failure.reason === 'UNKNOWN_KEY' ? failure.keyIds : [];
    const ids = failure.reason === 'UNKNOWN_KEY' ? ` (pinned key id ${pinnedKeyId}, presented ${presentedKeyIds.join(', ') || 'none'})` : '';
    super('BAD_CHECKPOINT', `${CHECKPOINT_FAILURES[failure.reason]}${failure.reason === 'MALFORMED' ? '' : ` ${key.name}`}${ids} [${failure.reason}]`);
    this.name = 'CheckpointError';
    this.reason = failure.reason;
    this.pinnedKeyId = pinnedKeyId;
    this.presentedKeyIds = presentedKeyIds;
  }
}

/**
 * The registry accepted a write (it answered 2xx) but its receipt did not verify. The record may
 * well be in the log — at `index`, as the registry claims, when its answer named one — but nothing
 * proves it, and the answer was not trusted: submitting again may be refused as a duplicate, and a
 * lookup shows whether the record is there. `code` is the failed check's, `cause` its error.
 */
export class ReceiptNotVerifiedError extends VerificationError {
  constructor(
    readonly index: number | null,
    readonly failure: VerificationError,
  ) {
    super(failure.code, `accepted${index === null ? '' : ` at index ${index}`}, receipt not verified: ${failure.message}`, { cause: failure });
    this.name = 'ReceiptNotVerifiedError';
  }
}

/** The registry answered with a problem (RFC 9457); `code` is its stable error code. */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'NETWORK' | 'UNKNOWN',
    message: string,
    /** For NETWORK: `cause` is what fetch threw (undici's `fetch failed` holds the system error in its own cause). */
    options?: ErrorOptions,
    /** The problem document as the registry sent it, unverified (undefined when it sent none). */
    readonly problem?: unknown,
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}

/**
 * A `404 NOT_FOUND` for an identity or group whose absence was proven: the key map of `checkpoint`
 * (a verified, fresh checkpoint, consistent with the ones this client saw) holds no such id. A 404
 * whose absence is not proven is never this, but a VerificationError `UNVERIFIED_ABSENCE`.
 */
export class NotFoundError extends RegistryError {
  constructor(
    readonly kind: 'user' | 'group',
    readonly id: string,
    /** The checkpoint whose map root the absence was proven against. */
    readonly checkpoint: VerifiedRegistryCheckpoint,
  ) {
    super(404, 'NOT_FOUND', `404 NOT_FOUND: no ${kind === 'user' ? 'identity' : 'group'} ${id}, proven absent as of the checkpoint of size ${checkpoint.size}`);
    this.name = 'NotFoundError';
  }
}
