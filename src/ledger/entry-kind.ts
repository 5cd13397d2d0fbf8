/**
 * What one kind of log entry is (DESIGN.md §5: a record's `type` is its entry kind): how its record
 * is parsed and its signatures checked — by itself, before any state is read — and how it folds
 * into the ledger's state, in log order. The log writer, the mirror, `verify-log` and
 * `peerkeys log verify` all decide entries through these functions, so they cannot disagree.
 *
 * A kind's state is whatever its rules need (an identity's live chain, a group's head). Folding
 * is pure: handed the state just before an entry, it either throws the ProtocolError the registry
 * answers with, leaving the state unchanged, or updates the state and returns the chain's new head
 * — the value a verifiable map of the log's state keys by (kind, id) (issue 15).
 */
import { toBase64Url } from '../protocol/encoding.js';
import { canonicalJson } from '../protocol/json.js';
import { isEncodedRecord, type EncodedRecord } from '../protocol/records.js';
import { canonicalRecordDigest, type VerifySignature } from '../protocol/signing.js';

/** Every chained record names its kind in `type` and its place in its chain in `seq`. */
export interface KindRecord {
  readonly type: string;
  readonly seq: number;
}

/** Where an entry is decided: its log index and acceptance time (ms since the epoch). */
export interface LogPosition {
  index: number;
  acceptedAt: number;
}

/** One chain of one kind: the key of a head. */
export interface ChainRef {
  kind: string;
  id: string;
}

/** A chain's head after an entry. */
export interface ChainHead extends ChainRef {
  /** recordHash of the head record */
  hash: string;
  /** Its log index. */
  index: number;
  seq: number;
  status: 'active' | 'revoked';
}

/** What deciding an entry did to its chain. */
export interface Decision {
  /** `recovery` forks from an earlier record of the chain (DESIGN.md §2). */
  change: 'genesis' | 'update' | 'recovery';
  head: ChainHead;
}

/**
 * How a write came in: as a genesis (POST /v1/users) or as a record for an existing chain. A
 * replay of the log derives it from `seq`, so a genesis for an existing id is refused there
 * exactly as the registry refuses it.
 */
export type WriteMode = 'genesis' | 'successor';

/** The ledger's state as a kind's rules read it: each kind's own state, by kind. */
export interface LedgerView {
  of<S>(kind: EntryKind<KindRecord, S>): S;
}

export interface EntryKind<R extends KindRecord, S> {
  readonly type: R['type'];
  /** The record's strict schema and size limit (parseAndEncodeRecord): throws INVALID_RECORD. */
  parseAndEncode(value: unknown): EncodedRecord<R>;
  /** Throws BAD_SIGNATURE (or INVALID_RECORD) unless every signature verifies. */
  verifySignatures(record: R, verify: VerifySignature): Promise<void>;
  /** The id of the chain the record extends. */
  chainId(record: R): string;
  /** The chains whose state deciding `record` reads, its own first: what a store loads first. */
  reads(record: R): ChainRef[];
  newState(): S;
  /**
   * Decides `write` at `at` against `state` (the state just before it) and folds it in, or throws
   * the ProtocolError the registry answers with, leaving every state unchanged.
   */
  decide(state: S, write: Write<R, S>, at: LogPosition, ledger: LedgerView): Decision;
  /** The head of chain `id` in `state`, or undefined when there is none (yet). */
  head(state: S, id: string): ChainHead | undefined;
}

/** A record on its way into the ledger, of any kind. */
export interface LogWrite {
  readonly type: string;
  readonly record: KindRecord;
  readonly mode: WriteMode;
  /** Canonical JSON of the record: what the log entry stores. */
  readonly canonical: string;
  /** recordHash(record): base64url of `digest`, as records and the API name a record. */
  readonly hash: string;
  /**
   * SHA-256 of `canonical`, the bytes `hash` spells: the `recordHash` of the key map value this
   * write's fold makes (protocol/key-map-fold.ts, mapUpdateOf; DESIGN.md §5.2).
   */
  readonly digest: Uint8Array;
  readonly reads: ChainRef[];
  /** Set once the write is accepted. */
  readonly decision: Decision | undefined;
  decide(ledger: LedgerView, at: LogPosition): Decision;
}

/** A write bound to its kind, so that deciding it needs no cast. */
export class Write<R extends KindRecord, S> implements LogWrite {
  readonly record: R;
  readonly mode: WriteMode;
  readonly canonical: string;
  readonly hash: string;
  readonly digest: Uint8Array;
  readonly reads: ChainRef[];
  private decided: Decision | undefined;

  /**
   * A write of `source`: a record its kind parsed and encoded (EntryKind.parseAndEncode, as the
   * services and replay have), whose canonical JSON is then the one logged, hashed and spliced into
   * the leaf, with no encoding again; or a bare record (tests, benches), encoded here. Either way the
   * canonical JSON is the record's own: there is no way to hand in one without the other.
   */
  constructor(
    readonly kind: EntryKind<R, S>,
    source: R | EncodedRecord<R>,
    mode?: WriteMode,
  ) {
    const { record, canonical } = isEncodedRecord(source) ? source : { record: source, canonical: canonicalJson(source) };
    this.record = record;
    this.mode = mode ?? (record.seq === 0 ? 'genesis' : 'successor');
    this.canonical = canonical;
    this.digest = canonicalRecordDigest(canonical);
    this.hash = toBase64Url(this.digest);
    this.reads = kind.reads(record);
  }

  get type(): string {
    return this.kind.type;
  }

  get decision(): Decision | undefined {
    return this.decided;
  }

  decide(ledger: LedgerView, at: LogPosition): Decision {
    this.decided = this.kind.decide(ledger.of(this.kind), this, at, ledger);
    return this.decided;
  }
}

/** Any kind, its record and state types forgotten: what a registry of kinds holds. */
export type AnyEntryKind = EntryKind<KindRecord, unknown>;


/** Whether `write` is a write of `kind` (kinds are told apart by their type): its record is then an R. */
export function isWriteOf<R extends KindRecord, S>(write: LogWrite, kind: EntryKind<R, S>): write is Write<R, S> {
  return write instanceof Write && write.type === kind.type;
}
