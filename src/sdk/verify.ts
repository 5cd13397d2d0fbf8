/**
 * Verifying what a registry says, with no network access: the same code serves the SDK, the
 * lookup page and the tests (the sigstore-js way). Every function takes the pinned registry key
 * and a signature verifier, and either returns verified data or throws a VerificationError.
 */
import { openCheckpointNote, type Checkpoint, type NoteKey } from '../protocol/checkpoint.js';
import { fromBase64Url } from '../protocol/encoding.js';
import { ProtocolError } from '../protocol/errors.js';
import { parseIdentityRecord, verifyIdentitySignatures, type IdentityRecord } from '../protocol/identity.js';
import { IdentityReplay, checkLiveChain, type IdentityChainEntry } from '../protocol/identity-rules.js';
import { boxKeyBinding, type BoxKeyBinding } from '../protocol/box-key.js';
import { userIdBinding, type IdBinding } from '../protocol/ids.js';
import { logLeafHash, type LogEntry } from '../protocol/log-entry.js';
import { verifyConsistency, verifyInclusion } from '../protocol/merkle.js';
import { recordHash, type VerifySignature } from '../protocol/signing.js';
import { parseTimestamp } from '../protocol/time.js';
import type { GroupRecord } from '../protocol/group.js';
import { CheckpointError, VerificationError } from './errors.js';
import { verifyMapHead, verifyMapWrite, verifyRegistryCheckpoint, type VerifiedRegistryCheckpoint } from './map-verify.js';
import { historySchema, lookupBundleSchema, writeResultSchema } from './responses.js';

/**
 * A checkpoint whose signature was verified, with the note it came in. What the SDK's lookups and
 * receipts return is a VerifiedRegistryCheckpoint: one with the map root and time too.
 */
export interface VerifiedCheckpoint extends Checkpoint {
  note: string;
}

/** An identity whose whole chain, head inclusion proof and checkpoint were verified. */
export interface VerifiedIdentity {
  userId: string;
  status: 'active' | 'revoked';
  /** The user's Ed25519 signing key (Peers: publicKey). */
  publicKey: string;
  /** The user's X25519 box key (Peers: publicBoxKey). */
  publicBoxKey: string;
  rotationKeys: string[];
  name?: string;
  /**
   * Whether the userId is derived from the key that signed the identity's genesis (DESIGN.md §1),
   * checked here from the verified genesis. `self-certifying`: only that key's holder could have
   * registered the id. `unbound`: the id was taken first come, first served (a registry that
   * admits any Peers id); whoever registered it first holds it, which may not be whom you expect.
   */
  idBinding: IdBinding;
  /**
   * Whether `publicBoxKey` is the box key derived from `publicKey` (as ed2curve derives it), which
   * is what Peers hosts expect of a Peers identity (DESIGN.md §10.3): `derived`, or `independent`.
   */
  boxKeyBinding: BoxKeyBinding;
  /** The head record's log index, hash and seq. */
  head: { index: number; hash: string; seq: number; acceptedAt: string };
  /** The live chain, genesis first. */
  entries: LogEntry<IdentityRecord>[];
  /**
   * The checkpoint the head was proven against: in its log (inclusion proof) and the newest
   * record of the identity as of `checkpoint.time` (the key map's value, by the map proof).
   */
  checkpoint: VerifiedRegistryCheckpoint;
}

/** Proof that a write was accepted: its log index, inclusion proof and checkpoint, all verified. */
export interface VerifiedReceipt {
  index: number;
  acceptedAt: string;
  hash: string;
  /** The checkpoint whose log holds the record and whose key map holds it (or a later record of its key) as the head. */
  checkpoint: VerifiedRegistryCheckpoint;
}

function fail(code: VerificationError['code'], message: string): never {
  throw new VerificationError(code, message);
}

function proofHashes(hashes: string[]): Uint8Array[] {
  return hashes.map((h) => fromBase64Url(h, 32) ?? fail('INVALID_RESPONSE', 'a proof hash is not 32 bytes of base64url'));
}

/**
 * Verifies a checkpoint note's signature against the pinned registry key, with or without the map
 * and time lines. For followers of the whole log (the mirror), which must also read the log of a
 * registry from before the key map and check each map root themselves (DESIGN.md §5.1). A client
 * that is shown answers uses verifyRegistryCheckpoint (map-verify.ts), which refuses a checkpoint
 * without those lines: it commits to no map, so nothing shown with it is proven the latest.
 */
export async function verifyCheckpoint(note: string, key: NoteKey, verify: VerifySignature): Promise<VerifiedCheckpoint> {
  const opened = await openCheckpointNote(note, key, verify);
  if (!opened.ok) throw new CheckpointError(opened, key);
  return { ...opened.checkpoint, note };
}

/** Verifies that `leafRecord`, accepted at `acceptedAt`, is entry `index` of the checkpoint's tree. */
export function verifyEntryInclusion(index: number, acceptedAt: string, leafRecord: object, proof: { index: number; size: number; hashes: string[] }, checkpoint: Checkpoint): void {
  if (proof.index !== index) fail('HEAD_MISMATCH', `the proof is for entry ${proof.index}, not ${index}`);
  if (proof.size !== checkpoint.size) fail('BAD_INCLUSION_PROOF', `the proof is for a tree of ${proof.size} entries, the checkpoint has ${checkpoint.size}`);
  if (!verifyInclusion(index, checkpoint.size, logLeafHash(acceptedAt, leafRecord), proofHashes(proof.hashes), checkpoint.root)) {
    fail('BAD_INCLUSION_PROOF', `entry ${index} is not in the checkpoint's tree by the given proof`);
  }
}

/** Verifies that checkpoint `b` extends checkpoint `a` (in either order of size). */
export function verifyCheckpointsConsistent(a: Checkpoint, b: Checkpoint, proof: string[]): void {
  const [older, newer] = a.size <= b.size ? [a, b] : [b, a];
  if (older.size === 0) return; // every tree extends the empty one
  if (!verifyConsistency(older.size, newer.size, proofHashes(proof), older.root, newer.root)) {
    fail('LOG_FORK', `the checkpoints of sizes ${older.size} and ${newer.size} are not consistent: the log was forked or rewritten`);
  }
}

/**
 * Verifies an identity lookup bundle (DESIGN.md §6): every record's schema and signatures, the
 * chain's order and links, the head's inclusion proof, the checkpoint's signature (with its map
 * and time lines) and the map proof: the head must be the key map's value at the checkpoint, else
 * STALE_ANSWER. The checkpoint's age and its consistency with earlier checkpoints need a clock and
 * the network and are the client's job (`checkCheckpointTime`).
 */
export async function verifyLookupBundle(raw: unknown, userId: string, key: NoteKey, verify: VerifySignature): Promise<VerifiedIdentity> {
  const parsed = lookupBundleSchema.safeParse(raw);
  if (!parsed.success) fail('INVALID_RESPONSE', 'the lookup answer is not a lookup bundle');
  const bundle = parsed.data;
  if (bundle.userId !== userId) fail('INVALID_RESPONSE', `asked for ${userId}, the answer is about ${bundle.userId}`);

  const entries = bundle.entries.map((entry, i): LogEntry<IdentityRecord> => {
    let record: IdentityRecord;
    try {
      record = parseIdentityRecord(entry.record);
    } catch (error) {
      fail('INVALID_RECORD', `chain record ${i}: ${(error as Error).message}`);
    }
    if (record.userId !== userId) fail('INVALID_RECORD', `chain record ${i} belongs to ${record.userId}`);
    if (parseTimestamp(entry.acceptedAt) === null) fail('INVALID_RESPONSE', `chain record ${i} has a malformed acceptedAt`);
    return { index: entry.index, acceptedAt: entry.acceptedAt, record };
  });

  // Order first, so that a reordered or gappy chain is named as such rather than as a bad link.
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.record.seq <= entries[i - 1]!.record.seq || entries[i]!.index <= entries[i - 1]!.index) {
      fail('CHAIN_ORDER', `chain record ${i} does not come after record ${i - 1}`);
    }
  }
  entries.forEach((entry, i) => {
    if (entry.record.seq !== i) fail('CHAIN_GAP', `the chain has no record with seq ${i}: records are missing`);
  });

  for (const [i, entry] of entries.entries()) {
    try {
      await verifyIdentitySignatures(entry.record, verify);
    } catch (error) {
      if (error instanceof ProtocolError) fail('BAD_SIGNATURE', `chain record ${i}: ${error.message}`);
      throw error;
    }
  }
  const chain: IdentityChainEntry[] = entries.map((e) => ({ record: e.record, hash: recordHash(e.record), acceptedAt: parseTimestamp(e.acceptedAt)! }));
  try {
    checkLiveChain(chain);
  } catch (error) {
    if (error instanceof ProtocolError) fail('CHAIN_BROKEN', error.message);
    throw error;
  }

  const head = entries[entries.length - 1]!;
  const headHash = chain[chain.length - 1]!.hash;
  const checkpoint = await verifyRegistryCheckpoint(bundle.checkpoint, key, verify);
  verifyEntryInclusion(head.index, head.acceptedAt, head.record, bundle.proof, checkpoint);
  verifyMapHead(checkpoint, { kind: 'user', id: userId }, bundle.mapProof, { hash: headHash, index: head.index, seq: head.record.seq, status: head.record.status });

  const record = head.record;
  const summary = { status: bundle.status, publicKey: bundle.publicKey, publicBoxKey: bundle.publicBoxKey, rotationKeys: bundle.rotationKeys };
  const truth = { status: record.status, publicKey: record.publicKey, publicBoxKey: record.publicBoxKey, rotationKeys: record.rotationKeys };
  if (JSON.stringify(summary) !== JSON.stringify(truth)) fail('INVALID_RESPONSE', "the bundle's summary keys differ from its verified head record");

  return {
    userId,
    ...truth,
    ...(record.name !== undefined ? { name: record.name } : {}),
    idBinding: userIdBinding(entries[0]!.record),
    boxKeyBinding: boxKeyBinding(record.publicKey, record.publicBoxKey),
    head: { index: head.index, hash: headHash, seq: record.seq, acceptedAt: head.acceptedAt },
    entries,
    checkpoint,
  };
}

/**
 * Verifies a write's answer for the record that was submitted (an identity or a group record):
 * its inclusion proof, its checkpoint, and its map proof — the record, or a later one of the same
 * key, is the key map's head at that checkpoint (else STALE_ANSWER).
 */
export async function verifyWriteResult(raw: unknown, record: IdentityRecord | GroupRecord, key: NoteKey, verify: VerifySignature): Promise<VerifiedReceipt> {
  const parsed = writeResultSchema.safeParse(raw);
  if (!parsed.success) fail('INVALID_RESPONSE', 'the write answer is not a write result');
  const result = parsed.data;
  if (result.hash !== recordHash(record)) fail('INVALID_RESPONSE', 'the registry acknowledged a different record');
  if (parseTimestamp(result.acceptedAt) === null) fail('INVALID_RESPONSE', 'the write answer has a malformed acceptedAt');
  const checkpoint = await verifyRegistryCheckpoint(result.checkpoint, key, verify);
  verifyEntryInclusion(result.index, result.acceptedAt, record, result.proof, checkpoint);
  const [mapKey, status] = record.type === 'group' ? [{ kind: 'group' as const, id: record.groupId }, 'active' as const] : [{ kind: 'user' as const, id: record.userId }, record.status];
  verifyMapWrite(checkpoint, mapKey, result.mapProof, { hash: result.hash, index: result.index, seq: record.seq, status });
  return { index: result.index, acceptedAt: result.acceptedAt, hash: result.hash, checkpoint };
}

/** One record of an identity's audit history, verified. */
export interface VerifiedHistoryEntry extends LogEntry<IdentityRecord> {
  hash: string;
  /** True when a later recovery overruled this record. */
  nullified: boolean;
}

/**
 * Verifies an audit history (GET /v1/users/{userId}/log) apart from inclusion: every record's
 * schema and signatures, log order, and — by replaying the chain rules in log order — that the
 * records marked nullified are exactly those a recovery overruled. Inclusion of each entry in the
 * log needs proofs from the network; RegistryClient.history does that.
 */
export async function verifyHistory(raw: unknown, userId: string, verify: VerifySignature): Promise<VerifiedHistoryEntry[]> {
  const parsed = historySchema.safeParse(raw);
  if (!parsed.success) fail('INVALID_RESPONSE', 'the history answer is not an audit history');
  if (parsed.data.userId !== userId) fail('INVALID_RESPONSE', `asked for ${userId}, the answer is about ${parsed.data.userId}`);
  const replay = new IdentityReplay<IdentityChainEntry & { index: number }>();
  const entries: VerifiedHistoryEntry[] = [];
  for (const [i, entry] of parsed.data.entries.entries()) {
    let record: IdentityRecord;
    try {
      record = parseIdentityRecord(entry.record);
      await verifyIdentitySignatures(record, verify);
    } catch (error) {
      fail(error instanceof ProtocolError && error.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'INVALID_RECORD', `history record ${i}: ${(error as Error).message}`);
    }
    if (record.userId !== userId) fail('INVALID_RECORD', `history record ${i} belongs to ${record.userId}`);
    const acceptedAt = parseTimestamp(entry.acceptedAt) ?? fail('INVALID_RESPONSE', `history record ${i} has a malformed acceptedAt`);
    if (i > 0 && entry.index <= parsed.data.entries[i - 1]!.index) fail('CHAIN_ORDER', `history record ${i} is not in log order`);
    // A record whose prev is no record of the history: the one it follows was left out.
    if (record.prev !== null && !entries.some((e) => e.hash === record.prev)) {
      fail('INCOMPLETE_HISTORY', `history record ${i} follows a record the history does not hold: records were left out`);
    }
    const hash = recordHash(record);
    try {
      replay.apply({ record, hash, acceptedAt, index: entry.index });
    } catch (error) {
      fail('CHAIN_BROKEN', `history record ${i} breaks the chain rules: ${(error as Error).message}`);
    }
    entries.push({ index: entry.index, acceptedAt: entry.acceptedAt, record, hash, nullified: entry.nullified });
  }
  for (const entry of entries) {
    if (entry.nullified !== replay.nullifiedBy.has(entry.index)) {
      fail('CHAIN_BROKEN', `the history marks record ${entry.index} ${entry.nullified ? 'nullified' : 'live'}, but replaying the chain says otherwise`);
    }
  }
  return entries;
}
