/**
 * The wire contract's error codes (DESIGN.md §6) and the HTTP status each one travels with.
 * Codes are stable API: clients branch on them, never on message text.
 */

export const ERROR_STATUS = {
  MALFORMED: 400,
  INVALID_RECORD: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PREV_MISMATCH: 409,
  REVOKED: 409,
  STALE_DEVICE: 409,
  PAYLOAD_TOO_LARGE: 413,
  BAD_SIGNATURE: 422,
  UNAUTHORIZED_SIGNER: 422,
  SEQ_MISMATCH: 422,
  TIME_ORDER: 422,
  CLOCK_SKEW: 422,
  LATE_RECOVERY: 422,
  FORBIDDEN_ROLE_CHANGE: 422,
  ID_NOT_BOUND: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A request the protocol refuses: the record, or the request carrying it, breaks a rule. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/**
 * What is wrong with a key-map key, value, proof or log entry (docs/DESIGN.md §5.2). Not an HTTP
 * answer: proofs are checked by clients, and the fold runs over a log already admitted. Every
 * failure of a map function on attacker-controlled bytes is one of these, never a TypeError.
 */
export type KeyMapErrorCode =
  /** A key that is not (user | group, Peers id). */
  | 'MAP_KEY_INVALID'
  /** A value with a field out of range, or value bytes that are not exactly a value's encoding. */
  | 'MAP_VALUE_INVALID'
  /** Proof bytes that are not exactly a proof's encoding (type, bitmap, length, a sibling, a value). */
  | 'MAP_PROOF_MALFORMED'
  /** A proof of absence whose leaf is not off the key's path where the proof puts it, or is the key's own. */
  | 'MAP_PROOF_KEY_MISMATCH'
  /** A well-formed proof that does not lead to the root it was checked against. */
  | 'MAP_PROOF_ROOT_MISMATCH'
  /** A log entry the fold cannot read: an unknown kind, a field it needs missing or out of range, out of order. */
  | 'MAP_ENTRY_INVALID';

export class KeyMapError extends Error {
  constructor(
    readonly code: KeyMapErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyMapError';
  }
}
