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
