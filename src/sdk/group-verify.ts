/**
 * Verifying group bundles, with no network access (like verify.ts): every record's schema and
 * signature, the chain's links and role rules, that each record's signer was its admin's registry
 * key at that point of the log, every entry's place in the log, the head's inclusion proof and the
 * checkpoint's signature. And comparing a member's keys as a group pins them with the member's own
 * verified identity: a difference is reported, never resolved.
 */
import type { NoteKey } from '../protocol/checkpoint.js';
import { ProtocolError } from '../protocol/errors.js';
import { memberOf, parseGroupRecord, verifyGroupSignature, type GroupMember, type GroupRecord } from '../protocol/group.js';
import { GroupReplay, identityHeadAt } from '../protocol/group-rules.js';
import { groupIdBinding, type IdBinding } from '../protocol/ids.js';
import { IdentityReplay, type IdentityLogEntry } from '../protocol/identity-rules.js';
import { canonicalJson, type JsonValue } from '../protocol/json.js';
import type { LogEntry } from '../protocol/log-entry.js';
import { recordHash, type VerifySignature } from '../protocol/signing.js';
import { parseTimestamp } from '../protocol/time.js';
import { VerificationError } from './errors.js';
import { groupBundleSchema } from './responses.js';
import { verifyMapHead, verifyRegistryCheckpoint, type VerifiedRegistryCheckpoint } from './map-verify.js';
import { verifyEntryInclusion, type VerifiedIdentity } from './verify.js';

/** A group whose whole chain, signers, entry positions, head proof and checkpoint were verified. */
export interface VerifiedGroup {
  groupId: string;
  /** The head's name. */
  name: string;
  /** The head's members: the keys the group vouches for, and each member's role. */
  members: GroupMember[];
  /**
   * Whether the groupId is derived from the key that signed the group's genesis (the founding
   * admin's key, DESIGN.md §1): `self-certifying`, or `unbound` (taken first come, first served).
   */
  idBinding: IdBinding;
  /** The head record's log index, hash and seq. */
  head: { index: number; hash: string; seq: number; acceptedAt: string };
  /** The chain, genesis first. */
  entries: LogEntry<GroupRecord>[];
  /**
   * The checkpoint the head (and every entry) was proven against: the head is the group's newest
   * record as of `checkpoint.time` (the key map's value, by the map proof).
   */
  checkpoint: VerifiedRegistryCheckpoint;
  /**
   * Records signed with a key that a recovery later overruled: the admin's identity record that
   * made `signer` its key was nullified, so whoever signed may have held a stolen key. Valid by the
   * rules (groups have no recovery), but worth an admin's second look.
   */
  overruledSigners: Array<{ index: number; adminId: string; signer: string }>;
}

/** What verifying a group needs besides the bundle, fetched by RegistryClient.group. */
export interface GroupEvidence {
  /**
   * The verified audit history (log order, nullified records included) of every adminId in the
   * chain; an empty list for a user with no identity. Each entry must already be proven in the log.
   */
  adminHistories: ReadonlyMap<string, readonly IdentityLogEntry[]>;
  /**
   * Inclusion proofs, against the bundle's checkpoint, of every entry but the head (whose proof is
   * in the bundle): the signer check depends on where each record is in the log, so every claimed
   * index must be proven.
   */
  entryProofs: ReadonlyMap<number, { index: number; size: number; hashes: string[] }>;
}

function fail(code: VerificationError['code'], message: string): never {
  throw new VerificationError(code, message);
}

/** The userIds that signed records of a raw bundle: whose audit histories verification needs. */
export function groupBundleAdmins(raw: unknown): { adminIds: string[]; indexes: number[]; headIndex: number; size: number } {
  const parsed = groupBundleSchema.safeParse(raw);
  if (!parsed.success) fail('INVALID_RESPONSE', 'the group answer is not a group bundle');
  const adminIds = new Set<string>();
  for (const entry of parsed.data.entries) {
    const adminId = (entry.record as { adminId?: unknown }).adminId;
    if (typeof adminId === 'string') adminIds.add(adminId);
  }
  return { adminIds: [...adminIds], indexes: parsed.data.entries.map((e) => e.index), headIndex: parsed.data.proof.index, size: parsed.data.proof.size };
}

/**
 * Verifies a group bundle (DESIGN.md §4, §6) with the evidence RegistryClient.group gathers:
 * every record's schema and signature; order and links; the group rules replayed in order, each
 * record with its admin's identity as the admin's verified history says it stood just before the
 * record's log index; every entry's inclusion in the checkpoint; the checkpoint's signature; and
 * the map proof: the head must be the key map's value at the checkpoint, else STALE_ANSWER.
 * The checkpoint's age and consistency with earlier ones are the client's job.
 */
export async function verifyGroupBundle(raw: unknown, groupId: string, key: NoteKey, verify: VerifySignature, evidence: GroupEvidence): Promise<VerifiedGroup> {
  const parsed = groupBundleSchema.safeParse(raw);
  if (!parsed.success) fail('INVALID_RESPONSE', 'the group answer is not a group bundle');
  const bundle = parsed.data;
  if (bundle.groupId !== groupId) fail('INVALID_RESPONSE', `asked for group ${groupId}, the answer is about ${bundle.groupId}`);

  const entries = bundle.entries.map((entry, i): LogEntry<GroupRecord> => {
    let record: GroupRecord;
    try {
      record = parseGroupRecord(entry.record);
    } catch (error) {
      fail('INVALID_RECORD', `group record ${i}: ${(error as Error).message}`);
    }
    if (record.groupId !== groupId) fail('INVALID_RECORD', `group record ${i} belongs to group ${record.groupId}`);
    if (parseTimestamp(entry.acceptedAt) === null) fail('INVALID_RESPONSE', `group record ${i} has a malformed acceptedAt`);
    return { index: entry.index, acceptedAt: entry.acceptedAt, record };
  });
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.record.seq <= entries[i - 1]!.record.seq || entries[i]!.index <= entries[i - 1]!.index) fail('CHAIN_ORDER', `group record ${i} does not come after record ${i - 1}`);
  }
  entries.forEach((entry, i) => {
    if (entry.record.seq !== i) fail('CHAIN_GAP', `the group chain has no record with seq ${i}: records are missing`);
  });
  for (const [i, entry] of entries.entries()) {
    try {
      await verifyGroupSignature(entry.record, verify);
    } catch (error) {
      if (error instanceof ProtocolError) fail('BAD_SIGNATURE', `group record ${i}: ${error.message}`);
      throw error;
    }
  }

  const checkpoint = await verifyRegistryCheckpoint(bundle.checkpoint, key, verify);
  const head = entries[entries.length - 1]!;
  verifyEntryInclusion(head.index, head.acceptedAt, head.record, bundle.proof, checkpoint);
  verifyMapHead(checkpoint, { kind: 'group', id: groupId }, bundle.mapProof, { hash: recordHash(head.record), index: head.index, seq: head.record.seq, status: 'active' });
  for (const entry of entries.slice(0, -1)) {
    const proof = evidence.entryProofs.get(entry.index) ?? fail('INVALID_RESPONSE', `no inclusion proof for group record at log index ${entry.index}`);
    verifyEntryInclusion(entry.index, entry.acceptedAt, entry.record, proof, checkpoint);
  }

  const replay = new GroupReplay();
  const overruledSigners: VerifiedGroup['overruledSigners'] = [];
  const nullified = new Map<string, ReadonlyMap<number, number>>();
  for (const [i, entry] of entries.entries()) {
    const { adminId, signer } = entry.record;
    const history = evidence.adminHistories.get(adminId);
    if (history === undefined) throw new TypeError(`no audit history given for admin ${adminId}`);
    const adminHead = identityHeadAt(history, entry.index);
    try {
      replay.apply({ record: entry.record, hash: recordHash(entry.record) }, adminHead === null ? null : { publicKey: adminHead.record.publicKey, status: adminHead.record.status });
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      fail(error.code === 'UNAUTHORIZED_SIGNER' ? 'BAD_GROUP_SIGNER' : 'CHAIN_BROKEN', `group record ${i} (log index ${entry.index}): ${error.message}`);
    }
    if (!nullified.has(adminId)) nullified.set(adminId, nullifiedIn(history));
    if (nullified.get(adminId)!.has(adminHead!.index)) overruledSigners.push({ index: entry.index, adminId, signer });
  }

  const record = head.record;
  if (!sameJson({ name: bundle.name, members: bundle.members }, { name: record.name, members: record.members })) {
    fail('INVALID_RESPONSE', "the bundle's name or members differ from its verified head record");
  }
  return {
    groupId,
    name: record.name,
    members: record.members,
    idBinding: groupIdBinding(entries[0]!.record),
    head: { index: head.index, hash: recordHash(record), seq: record.seq, acceptedAt: head.acceptedAt },
    entries,
    checkpoint,
    overruledSigners,
  };
}

/** Whether two values have the same canonical JSON; false when `a` is no protocol JSON at all. */
function sameJson(a: unknown, b: object): boolean {
  try {
    return canonicalJson(a as JsonValue) === canonicalJson(b);
  } catch {
    return false;
  }
}

/** Log index of each nullified record of a (verified) history → the recovery that nullified it. */
function nullifiedIn(history: readonly IdentityLogEntry[]): ReadonlyMap<number, number> {
  const replay = new IdentityReplay();
  for (const entry of history) replay.apply(entry);
  return replay.nullifiedBy;
}

/** How a member's keys as a group pins them compare with the member's own identity chain. */
export type MemberKeyStatus =
  /** The pinned keys are the identity's current keys, and the identity is active. */
  | 'match'
  /** The pinned keys differ, but each was the member's key earlier in its live chain: a rotation the group has not caught up with. */
  | 'outdated'
  /** A pinned key was never the member's in its live chain. */
  | 'mismatch'
  /** The member's identity is revoked. */
  | 'revoked'
  /** The member has no identity in this registry. */
  | 'unregistered'
  /** The group does not list the user. */
  | 'not-member';

/** The cross-check's report. Nothing is resolved: the caller decides which source to trust. */
export interface MemberCrossCheck {
  groupId: string;
  userId: string;
  status: MemberKeyStatus;
  /** True only when `status` is `match`. */
  ok: boolean;
  /** The member's entry in the group's head, or null when the group does not list the user. */
  pinned: GroupMember | null;
  /**
   * The identity's current keys and status, and whether its userId is bound to its genesis
   * (an `unbound` one may belong to whoever registered the id first), or null when it is not
   * registered.
   */
  registry: { publicKey: string; publicBoxKey: string; status: 'active' | 'revoked'; idBinding: IdBinding } | null;
  /** Which keys differ between the two. */
  differences: Array<'publicKey' | 'publicBoxKey'>;
  /** The group head's log index and the identity head's, for the record. */
  groupIndex: number;
  identityIndex: number | null;
}

/**
 * Compares the keys `group` pins for `userId` with the member's verified identity (null when the
 * registry has none). Pure; see RegistryClient.crossCheckGroupMember.
 */
export function crossCheckMember(group: VerifiedGroup, userId: string, identity: VerifiedIdentity | null): MemberCrossCheck {
  if (identity !== null && identity.userId !== userId) throw new TypeError(`the identity given is ${identity.userId}'s, not ${userId}'s`);
  const pinned = memberOf(group, userId);
  const registry = identity === null ? null : { publicKey: identity.publicKey, publicBoxKey: identity.publicBoxKey, status: identity.status, idBinding: identity.idBinding };
  const differences = pinned === null || registry === null ? [] : (['publicKey', 'publicBoxKey'] as const).filter((k) => pinned[k] !== registry[k]);
  let status: MemberKeyStatus;
  if (pinned === null) status = 'not-member';
  else if (identity === null) status = 'unregistered';
  else if (identity.status === 'revoked') status = 'revoked';
  else if (differences.length === 0) status = 'match';
  else {
    const earlier = identity.entries.slice(0, -1).map((e) => e.record);
    status = differences.every((k) => earlier.some((r) => r[k] === pinned[k])) ? 'outdated' : 'mismatch';
  }
  return {
    groupId: group.groupId,
    userId,
    status,
    ok: status === 'match',
    pinned,
    registry,
    differences: [...differences],
    groupIndex: group.head.index,
    identityIndex: identity === null ? null : identity.head.index,
  };
}
