/** RegistryClient's group calls: verified groups (signers checked against their admins' histories), group writes. */
import type { GroupMember, GroupRecord, GroupRole } from '../../protocol/group.js';
import { isPeersId } from '../../protocol/ids.js';
import type { IdentityLogEntry } from '../../protocol/identity-rules.js';
import { parseTimestamp } from '../../protocol/time.js';
import { NotFoundError, VerificationError } from '../errors.js';
import { crossCheckMember, groupBundleAdmins, verifyGroupBundle, type MemberCrossCheck, type VerifiedGroup } from '../group-verify.js';
import { LIST_CAPS } from '../list-caps.js';
import { userGroupsSchema } from '../responses.js';
import type { VerifiedIdentity, VerifiedReceipt } from '../verify.js';
import { IdentityClient } from './identities.js';

/** A member's keys as a verified group pins them (see RegistryClient.keysFromGroup). */
export interface GroupMemberKeys {
  groupId: string;
  userId: string;
  publicKey: string;
  publicBoxKey: string;
  role: GroupRole;
  /** The verified group they come from. */
  group: VerifiedGroup;
}

export class GroupClient extends IdentityClient {
  /**
   * Looks up a group and verifies everything about it: every record's schema and signature, the
   * chain's links and role rules, that each record's signer was its admin's registry key just
   * before the record's log index (from the admin's verified audit history, itself checked
   * against a verified lookup of the admin), every entry's inclusion in the log, the head's proof,
   * the checkpoint's signature and its consistency with the last one seen.
   * Costs one request per record and per admin's identity record (inclusion proofs), besides the
   * bundle and one lookup and history per admin. The head is proven the key map's value at the
   * checkpoint: the group's newest record as of the checkpoint's time.
   * @throws VerificationError when any check fails (`BAD_GROUP_SIGNER` for a signer the registry
   * should have refused, STALE_ANSWER, UNVERIFIED_ABSENCE, STALE_CHECKPOINT); NotFoundError (a
   * RegistryError, 404 `NOT_FOUND`) when the group is proven absent.
   */
  async group(groupId: string): Promise<VerifiedGroup> {
    const group = await this.acrossPages(async (seen) => {
      const raw = await this.list(`/v1/groups/${encodeURIComponent(groupId)}`, 'entries', LIST_CAPS.chain, seen).catch((error: unknown) => this.absence(error, { kind: 'group', id: groupId }));
      return this.verifiedGroup(groupId, raw);
    });
    await this.acceptCheckpoint(group.checkpoint);
    await this.acceptHead(groupId, group.head, 'group-head');
    return group;
  }

  /** Verifies a whole group bundle (all its pages joined), fetching the evidence it needs. */
  private async verifiedGroup(groupId: string, raw: unknown): Promise<VerifiedGroup> {
    const { adminIds, indexes, headIndex, size } = groupBundleAdmins(raw);
    const histories = await Promise.all(adminIds.map(async (adminId) => [adminId, isPeersId(adminId) ? await this.adminHistory(adminId) : []] as const));
    const proofs = await Promise.all(
      indexes
        .filter((index) => index !== headIndex && index < size)
        .map(async (index) => [index, await this.inclusionProof(index, size)] as const),
    );
    return verifyGroupBundle(raw, groupId, this.key, await this.verifier, { adminHistories: new Map(histories), entryProofs: new Map(proofs) });
  }

  /**
   * An admin's verified audit history, for the signer check: each entry proven in the log, and
   * complete up to the head the key map holds (history() checks it). Empty when the user is
   * proven to have no identity.
   */
  private async adminHistory(userId: string): Promise<IdentityLogEntry[]> {
    let identity: VerifiedIdentity;
    try {
      identity = await this.lookup(userId);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
    const { entries } = await this.history(userId, { identity });
    return entries.map((e) => ({ index: e.index, hash: e.hash, record: e.record, acceptedAt: parseTimestamp(e.acceptedAt)! }));
  }

  /**
   * A member's keys as a verified group pins them, or null when the group does not list the user.
   * These are the keys the group vouches for; they may differ from the member's own identity
   * (`crossCheckGroupMember` compares the two).
   */
  async keysFromGroup(groupId: string, userId: string): Promise<GroupMemberKeys | null> {
    const group = await this.group(groupId);
    const member = group.members.find((m) => m.userId === userId);
    if (member === undefined) return null;
    return { groupId, userId, publicKey: member.publicKey, publicBoxKey: member.publicBoxKey, role: member.role, group };
  }

  /**
   * Compares the keys a verified group pins for `userId` with the member's own verified identity
   * chain, and reports — never resolves — a difference: `outdated` after a rotation the group has
   * not caught up with, `mismatch` for keys the member never had, `revoked`, `unregistered`.
   * Pass `group` to reuse a group verified a moment ago.
   */
  async crossCheckGroupMember(groupId: string, userId: string, options: { group?: VerifiedGroup } = {}): Promise<MemberCrossCheck> {
    const group = options.group ?? (await this.group(groupId));
    if (group.groupId !== groupId) throw new TypeError(`the group given is ${group.groupId}, not ${groupId}`);
    let identity: VerifiedIdentity | null;
    try {
      identity = await this.lookup(userId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      identity = null;
    }
    return crossCheckMember(group, userId, identity);
  }

  /**
   * The groups whose head lists `userId`, each verified (`group`), with the user's entry. The
   * registry's list is only an index: a group it leaves out cannot be detected here, and a listed
   * group whose verified head no longer lists the user (it moved meanwhile) is left out.
   */
  async groupsOf(userId: string): Promise<Array<{ group: VerifiedGroup; member: GroupMember }>> {
    const raw = await this.list(`/v1/users/${encodeURIComponent(userId)}/groups`, 'groups', LIST_CAPS.groups);
    const parsed = userGroupsSchema.safeParse(raw);
    if (!parsed.success || parsed.data.userId !== userId) throw new VerificationError('INVALID_RESPONSE', 'the answer is not the list of groups of this user');
    const found: Array<{ group: VerifiedGroup; member: GroupMember }> = [];
    for (const { groupId } of parsed.data.groups) {
      const group = await this.group(groupId);
      const member = group.members.find((m) => m.userId === userId);
      if (member !== undefined) found.push({ group, member });
    }
    return found;
  }

  /** Submits a group genesis (see `createGroupGenesis`) and verifies the registry's receipt. */
  registerGroup(record: GroupRecord): Promise<VerifiedReceipt> {
    return this.postRecord('/v1/groups', record, record.groupId, 'group-head');
  }

  /** Submits a group update (see `createGroupUpdate`) and verifies the receipt. */
  submitGroup(record: GroupRecord): Promise<VerifiedReceipt> {
    return this.postRecord(`/v1/groups/${encodeURIComponent(record.groupId)}`, record, record.groupId, 'group-head');
  }

}
