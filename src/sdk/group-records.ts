/**
 * Building and signing group records as DESIGN.md §4 defines them. These only sign: submitting is
 * the RegistryClient's job, and the registry applies the rules (see README "Groups").
 */
import { toBase64Url } from '../protocol/encoding.js';
import { groupSigningInput, type GroupMember, type GroupRecord, type GroupRole, type UnsignedGroupRecord } from '../protocol/group.js';
import { boundPeersId } from '../protocol/ids.js';
import { recordHash } from '../protocol/signing.js';
import { formatTimestamp } from '../protocol/time.js';
import { signerFor, type SigningKeyPair } from './keys.js';
import { idTimeFor } from './records.js';

/** The member who signs a group record: an admin or above, with its current registry signing key. */
export interface GroupSigner {
  userId: string;
  /** The admin's current signing key in the registry (its identity's `publicKey`). */
  signingKey: SigningKeyPair;
}

/** Signs a group record with `signer`'s key, which must be the record's `signer`. */
export async function signGroupRecord(unsigned: UnsignedGroupRecord, signingKey: SigningKeyPair): Promise<GroupRecord> {
  if (unsigned.signer !== signingKey.publicKey) throw new TypeError('signingKey does not match the record’s signer');
  const sig = toBase64Url(await signerFor(signingKey)(groupSigningInput(unsigned)));
  return { ...unsigned, sig };
}

/**
 * A member entry pinning a user's keys, e.g. from a verified lookup:
 * `groupMember(await registry.lookup(bobId), 'writer')`.
 */
export function groupMember(keys: { userId: string; publicKey: string; publicBoxKey: string }, role: GroupRole): GroupMember {
  return { userId: keys.userId, publicKey: keys.publicKey, publicBoxKey: keys.publicBoxKey, role };
}

/** `members` with `member` added, or replacing the entry of the same userId (in place). */
export function withMember(members: readonly GroupMember[], member: GroupMember): GroupMember[] {
  const at = members.findIndex((m) => m.userId === member.userId);
  return at < 0 ? [...members, member] : members.map((m, i) => (i === at ? member : m));
}

/** `members` without `userId`'s entry. */
export function withoutMember(members: readonly GroupMember[], userId: string): GroupMember[] {
  return members.filter((m) => m.userId !== userId);
}

export interface GroupGenesisOptions {
  /**
   * Defaults to a self-certifying id derived from the signer's key and `createdAt` (DESIGN.md §1),
   * which nobody without that key can register. Pass an existing Peers id only for a registry that
   * admits any id (GROUP_IDS=any); lookups report it as `unbound`.
   */
  groupId?: string;
  /** 1 to 128 code points. */
  name: string;
  /** Every member, the signer among them with role admin or above and its current signing key. */
  members: GroupMember[];
  signer: GroupSigner;
  /** Defaults to now. */
  createdAt?: string;
}

/** Builds and signs the first record of a new group. */
export function createGroupGenesis(options: GroupGenesisOptions): Promise<GroupRecord> {
  const own = options.members.find((m) => m.userId === options.signer.userId);
  if (own === undefined || own.publicKey !== options.signer.signingKey.publicKey) {
    throw new TypeError('a group genesis lists its signer among the members, pinned with the signing key it signs with');
  }
  const createdAt = options.createdAt ?? formatTimestamp(Date.now());
  const unsigned: UnsignedGroupRecord = {
    type: 'group',
    groupId: options.groupId ?? boundPeersId('group', options.signer.signingKey.publicKey, idTimeFor(createdAt)),
    seq: 0,
    prev: null,
    name: options.name,
    members: options.members,
    createdAt,
    adminId: options.signer.userId,
    signer: options.signer.signingKey.publicKey,
  };
  return signGroupRecord(unsigned, options.signer.signingKey);
}

export interface GroupUpdateOptions {
  /** The group's head. */
  previous: GroupRecord;
  /** Defaults to the head's name. */
  name?: string;
  /** The new member list; defaults to the head's (e.g. `withMember(previous.members, …)`). */
  members?: GroupMember[];
  /** An admin or above in `previous`, with its current registry signing key. */
  signer: GroupSigner;
  /** Defaults to now, or 1 ms after the head's time if the clock has not moved past it. */
  createdAt?: string;
}

/** Builds and signs the record that follows the group's head. */
export function createGroupUpdate(options: GroupUpdateOptions): Promise<GroupRecord> {
  const { previous } = options;
  const unsigned: UnsignedGroupRecord = {
    type: 'group',
    groupId: previous.groupId,
    seq: previous.seq + 1,
    prev: recordHash(previous),
    name: options.name ?? previous.name,
    members: options.members ?? previous.members,
    createdAt: options.createdAt ?? formatTimestamp(Math.max(Date.now(), Date.parse(previous.createdAt) + 1)),
    adminId: options.signer.userId,
    signer: options.signer.signingKey.publicKey,
  };
  return signGroupRecord(unsigned, options.signer.signingKey);
}
