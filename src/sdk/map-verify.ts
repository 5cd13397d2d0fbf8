/**
 * Checking that an answer is the latest, with no network access (like verify.ts): the registry's
 * checkpoints commit to the key map's root and to a time (DESIGN.md §5), and every lookup, write
 * and 404 carries a map proof against its checkpoint (DESIGN.md §6, "The key map in answers"). These functions check
 * a checkpoint's map and time lines and age, a found head against the map's value, a 404's
 * absence proof, and an audit history against the map's head.
 */
import { isRegistryCheckpoint, openCheckpointNote, type NoteKey, type RegistryCheckpoint } from '../protocol/checkpoint.js';
import { bytesEqual, fromBase64Url } from '../protocol/encoding.js';
import { KeyMapError } from '../protocol/errors.js';
import type { IdentityRecord } from '../protocol/identity.js';
import { IdentityReplay, type IdentityLogEntry } from '../protocol/identity-rules.js';
import { verifyMapProof, type MapKey, type MapStatus, type MapValue } from '../protocol/key-map.js';
import type { VerifySignature } from '../protocol/signing.js';
import { parseTimestamp } from '../protocol/time.js';
import { CheckpointError, VerificationError, type VerificationCode } from './errors.js';

/** A registry checkpoint (with its map root and time) whose signature was verified, with its note. */
export interface VerifiedRegistryCheckpoint extends RegistryCheckpoint {
  note: string;
}

/** The default of `maxCheckpointAgeMs`: a checkpoint older than 10 minutes is STALE_CHECKPOINT. */
export const DEFAULT_MAX_CHECKPOINT_AGE_MS = 10 * 60 * 1000;
/** How far ahead of the client's clock a checkpoint's time may be (clock skew) before it is refused. */
export const MAX_CHECKPOINT_FUTURE_MS = 5 * 60 * 1000;

/** A clock and an age limit: what `checkCheckpointTime` compares a checkpoint's time with. */
export interface CheckpointFreshness {
  /** The current time in Unix milliseconds. */
  now: number;
  /** The oldest a checkpoint may be, in milliseconds. */
  maxAgeMs: number;
}

/** One of the registry's answers, the way it names a head in the key map. */
export interface ExpectedHead {
  /** The head record's hash (base64url, as `recordHash` gives it). */
  hash: string;
  index: number;
  seq: number;
  status: MapStatus;
}

function fail(code: VerificationCode, message: string, cause?: unknown): never {
  throw new VerificationError(code, message, cause === undefined ? undefined : { cause });
}

/**
 * Verifies a checkpoint note as the registry signs it: signed by the pinned key, and with the map
 * and time lines (a checkpoint without them is BAD_CHECKPOINT, reason MALFORMED: it commits to no
 * map, so nothing shown with it could be proven the latest). For every answer a client is shown
 * (lookups, writes, 404s); a follower of the whole log, which accepts checkpoints from before the
 * key map, uses verifyCheckpoint (verify.ts) instead.
 */
export async function verifyRegistryCheckpoint(note: string, key: NoteKey, verify: VerifySignature): Promise<VerifiedRegistryCheckpoint> {
  const opened = await openCheckpointNote(note, key, verify);
  if (!opened.ok) throw new CheckpointError(opened, key);
  if (!isRegistryCheckpoint(opened.checkpoint)) throw new CheckpointError({ reason: 'MALFORMED' }, key);
  return { ...opened.checkpoint, note };
}

/**
 * Checks a verified checkpoint's time against a clock: older than `maxAgeMs` is STALE_CHECKPOINT
 * (whoever answered may be hiding what happened since); more than 5 minutes ahead is
 * BAD_CHECKPOINT, reason FUTURE_TIME (a registry that dates its checkpoints ahead would make
 * them look fresh for longer).
 */
export function checkCheckpointTime(checkpoint: RegistryCheckpoint, key: NoteKey, freshness: CheckpointFreshness): void {
  if (checkpoint.time - freshness.now > MAX_CHECKPOINT_FUTURE_MS) throw new CheckpointError({ reason: 'FUTURE_TIME' }, key);
  const age = freshness.now - checkpoint.time;
  if (age > freshness.maxAgeMs) {
    fail('STALE_CHECKPOINT', `the checkpoint of size ${checkpoint.size} was signed ${Math.round(age / 1000)} s ago, more than the ${Math.round(freshness.maxAgeMs / 1000)} s allowed`);
  }
}

/** The key map's answer for `key` at `checkpoint` by `proofText` (base64url), or a KeyMapError. */
function mapValueOf(checkpoint: RegistryCheckpoint, key: MapKey, proofText: unknown): MapValue | null {
  const bytes = typeof proofText === 'string' ? fromBase64Url(proofText) : null;
  if (bytes === null) throw new KeyMapError('MAP_PROOF_MALFORMED', 'the map proof is not a base64url string');
  return verifyMapProof(checkpoint.mapRoot, key, bytes);
}

function describe(key: MapKey): string {
  return `${key.kind === 'user' ? 'identity' : 'group'} ${key.id}`;
}

function sameHead(value: MapValue, head: ExpectedHead): boolean {
  const hash = fromBase64Url(head.hash, 32);
  return hash !== null && bytesEqual(value.recordHash, hash) && value.index === head.index && value.seq === head.seq && value.status === head.status;
}

/**
 * Checks that `head` is the key map's value for `key` at `checkpoint`, by the answer's map proof:
 * anything else — no proof, one that does not reach the map root, one that says the key is absent
 * or holds another head — is STALE_ANSWER.
 */
export function verifyMapHead(checkpoint: RegistryCheckpoint, key: MapKey, proofText: unknown, head: ExpectedHead): void {
  const value = mapValueOrStale(checkpoint, key, proofText, 'the map proof');
  if (value === null) fail('STALE_ANSWER', `the key map of the checkpoint of size ${checkpoint.size} holds no ${describe(key)}, yet a head was shown`);
  if (!sameHead(value, head)) {
    fail('STALE_ANSWER', `the head shown for ${describe(key)} (log index ${head.index}) is not the key map's (log index ${value.index}) at the checkpoint of size ${checkpoint.size}: an older answer`);
  }
}

/** mapValueOf for a found answer: a proof that does not verify is STALE_ANSWER. */
function mapValueOrStale(checkpoint: RegistryCheckpoint, key: MapKey, proofText: unknown, what: string): MapValue | null {
  try {
    return mapValueOf(checkpoint, key, proofText);
  } catch (error) {
    if (!(error instanceof KeyMapError)) throw error;
    fail('STALE_ANSWER', `${what} of ${describe(key)} does not verify against the checkpoint of size ${checkpoint.size}: ${error.message}`, error);
  }
}

/**
 * Checks a write's receipt against the key map: the written record (at `written.index`, with hash
 * `written.hash`) is the key's value at the receipt's checkpoint, or a later record of the same
 * key (a larger index) is, having landed in the same checkpoint. Anything else is STALE_ANSWER.
 */
export function verifyMapWrite(checkpoint: RegistryCheckpoint, key: MapKey, proofText: unknown, written: ExpectedHead): void {
  const value = mapValueOrStale(checkpoint, key, proofText, "the receipt's map proof");
  if (value === null) fail('STALE_ANSWER', `the receipt's key map holds no ${describe(key)}, yet the write was accepted`);
  if (value.index > written.index) return;
  if (!sameHead(value, written)) fail('STALE_ANSWER', `the receipt's key map does not hold the written record as the head of ${describe(key)}`);
}

/**
 * Verifies the absence a `404 NOT_FOUND` claims for `key`: its `checkpoint` member must verify as
 * a registry checkpoint and its `mapProof` must prove `key` absent from that checkpoint's map.
 * Returns the checkpoint (its freshness and consistency are the client's to check); anything else
 * is UNVERIFIED_ABSENCE.
 */
export async function verifyAbsence(problem: unknown, key: MapKey, noteKey: NoteKey, verify: VerifySignature): Promise<VerifiedRegistryCheckpoint> {
  const body = typeof problem === 'object' && problem !== null && !Array.isArray(problem) ? (problem as Record<string, unknown>) : {};
  const note = body['checkpoint'];
  if (typeof note !== 'string') fail('UNVERIFIED_ABSENCE', `the 404 for ${describe(key)} carries no checkpoint: its absence is not proven`);
  let checkpoint: VerifiedRegistryCheckpoint;
  try {
    checkpoint = await verifyRegistryCheckpoint(note, noteKey, verify);
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    fail('UNVERIFIED_ABSENCE', `the 404 for ${describe(key)} carries a checkpoint that does not verify: ${error.message}`, error);
  }
  let value: MapValue | null;
  try {
    value = mapValueOf(checkpoint, key, body['mapProof']);
  } catch (error) {
    if (!(error instanceof KeyMapError)) throw error;
    fail('UNVERIFIED_ABSENCE', `the 404's proof that ${describe(key)} is absent does not verify: ${error.message}`, error);
  }
  if (value !== null) fail('UNVERIFIED_ABSENCE', `the 404's map proof shows ${describe(key)} present (head at log index ${value.index}): the registry hid it`);
  return checkpoint;
}

/** An audit-history entry as verifyHistory returns it. */
interface HistoryEntry {
  index: number;
  acceptedAt: string;
  record: IdentityRecord;
  hash: string;
}

/**
 * Checks a verified audit history against the key map's head of its identity at a checkpoint of
 * `size` entries, and returns the entries up to that checkpoint (later ones, written since, are
 * for the next check). Replayed in log order, those entries' live chain must end at `head` — the
 * map's value — else INCOMPLETE_HISTORY: the registry left records out.
 */
export function checkHistoryHead<E extends HistoryEntry>(entries: readonly E[], head: { index: number; hash: string }, size: number): E[] {
  const upTo = entries.filter((e) => e.index < size);
  // verifyHistory replayed the whole list already, so a prefix of it replays too.
  const replay = new IdentityReplay<IdentityLogEntry>();
  for (const e of upTo) replay.apply({ index: e.index, hash: e.hash, record: e.record, acceptedAt: parseTimestamp(e.acceptedAt)! });
  const last = replay.live[replay.live.length - 1];
  if (last === undefined || last.index !== head.index || last.hash !== head.hash) {
    fail(
      'INCOMPLETE_HISTORY',
      `the audit history's live chain ends ${last === undefined ? 'nowhere' : `at log index ${last.index}`}, but the key map's head is at log index ${head.index}: records were left out`,
    );
  }
  return upTo;
}
