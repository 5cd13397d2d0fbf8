/**
 * The ledger's own failures, each with a stable code an operator's script or a test can branch on
 * (DESIGN.md §5, "Following a log"): never message text.
 */
import type { ErrorCode } from '../protocol/errors.js';

export type LedgerErrorCode =
  /** An entry of a kind this version does not know (a newer registry's): stop, never skip. */
  | 'UNKNOWN_ENTRY_KIND'
  /** An entry whose record breaks its schema, its signatures or its chain's rules. */
  | 'INVALID_ENTRY'
  /** Entries are missing from the log between two indexes. */
  | 'MISSING_ENTRIES'
  /** Two signed views of the log that cannot both be true. */
  | 'FORK_DETECTED'
  /** A signed checkpoint whose key map root is not the fold of its entries (DESIGN.md §5.1). */
  | 'MAP_ROOT_MISMATCH';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    /** The log index concerned, or null for the log as a whole. */
    readonly index: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

export class UnknownEntryKind extends LedgerError {
  constructor(
    index: number,
    readonly kind: string,
  ) {
    super('UNKNOWN_ENTRY_KIND', index, `log entry ${index} is a "${kind}" record, a kind this version of peerkeys cannot verify; upgrade peerkeys to follow this registry`);
    this.name = 'UnknownEntryKind';
  }
}

export class InvalidEntry extends LedgerError {
  constructor(
    index: number,
    /** Whether the record is wrong by itself (schema, signatures) or only where it stands (chain rules). */
    readonly stage: 'record' | 'chain',
    /** The protocol's reason (INVALID_RECORD, BAD_SIGNATURE, PREV_MISMATCH…), or null when the record is not even JSON. */
    readonly reason: ErrorCode | 'NOT_CANONICAL' | 'NOT_JSON',
    message: string,
  ) {
    super('INVALID_ENTRY', index, `log entry ${index}: ${message}`);
    this.name = 'InvalidEntry';
  }
}

/** Two signed checkpoints (or a checkpoint and the entries served under it) that contradict each other. */
export class ForkDetected extends LedgerError {
  constructor(
    message: string,
    /** The signed note held before, and the one that contradicts it: together, the evidence. */
    readonly held: string,
    readonly served: string,
  ) {
    super('FORK_DETECTED', null, message);
    this.name = 'ForkDetected';
  }
}

/**
 * A checkpoint, validly signed and whose log root its entries reproduce, that signs a key map root
 * which is not the fold of those entries: the registry's key vouching for a false map.
 */
export class MapRootMismatchDetected extends LedgerError {
  constructor(
    message: string,
    /** The signed checkpoint: the evidence. */
    readonly note: string,
    /** Its map root, and the fold's, in standard base64. */
    readonly mapRoot: string,
    readonly recomputed: string,
  ) {
    super('MAP_ROOT_MISMATCH', null, message);
    this.name = 'MapRootMismatchDetected';
  }
}
