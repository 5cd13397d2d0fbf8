/**
 * The group chain rules (DESIGN.md §4), as pure functions like the identity rules: handed the
 * head, the proposed record and the signing admin's identity as the registry held it at that point
 * of the log, they return or throw the ProtocolError the registry answers with. The server applies
 * them under the log lock; verify-log and clients replay them.
 *
 * Decisions where §4 is silent (README "Groups" repeats them):
 * - The Peers rule applies to every member, the signer included: a signer of role R may give or
 *   take only roles at most R, to anyone. So nobody can promote themselves (the new role would
 *   exceed their own), but anyone may step down or leave; an admin can neither remove nor demote
 *   an owner or a founder, and only a founder can add, remove or demote a founder.
 * - At a genesis every member is added (a change from no role), so the signer's own role in the
 *   record bounds every other member's role: a group founded by an admin has no owner.
 * - A record may remove or demote its own signer (the authority comes from the head), but every
 *   record must keep at least one member of role admin or above: a group nobody can sign for could
 *   never change again, not even to fix a member's keys.
 * - The signer must be the admin's current registry key: an admin whose identity does not exist or
 *   is revoked cannot sign (UNAUTHORIZED_SIGNER). Other members need not be registered here: the
 *   group vouches for their keys, and clients compare (sdk/group-verify.ts).
 * - An update's signer must be an admin of the head, not of the update itself, and the update need
 *   not pin the signer's own entry to the key it signs with (a rotated admin usually repins itself
 *   in that very update). At a genesis there is no head, so the record must list and pin its signer.
 * - Repinning a member's keys (`publicKey` or `publicBoxKey`) follows the same rank rule: the
 *   signer's role must be at least the member's role in the head. Otherwise an admin could pin its
 *   own keys under the owner's userId, and every peer trusting the group would take the admin for
 *   the owner. "At least", not "above": a signer may remove a member of its own rank and add it
 *   back with other keys, so forbidding the same in one record would protect nothing. A signer is
 *   always of its own rank, so it may repin itself.
 */
import { ProtocolError } from './errors.js';
import { isAdminRole, memberOf, roleRank, type GroupMember, type GroupRecord, type GroupRole } from './group.js';
import { IdentityReplay, type IdentityLogEntry } from './identity-rules.js';
import { parseTimestamp } from './time.js';

/** The signing admin's identity as the registry held it just before the group record's log index. */
export interface AdminIdentity {
  publicKey: string;
  status: 'active' | 'revoked';
}

/** One accepted record of a group chain. */
export interface GroupChainEntry {
  record: GroupRecord;
  /** recordHash(record) */
  hash: string;
}

function time(text: string): number {
  return parseTimestamp(text)!; // schema-checked before any rule runs
}

/**
 * Genesis: seq 0 and prev null; the signing member (`adminId`) is listed in the record itself with
 * role admin or above, pinned with `signer` as its publicKey, and `signer` is that user's current
 * registry key. Every member counts as added by the signer (the Peers rule).
 */
export function checkGroupGenesis(record: GroupRecord, admin: AdminIdentity | null): void {
  if (record.seq !== 0 || record.prev !== null) throw new ProtocolError('SEQ_MISMATCH', 'a group genesis has seq 0 and prev null');
  const signing = memberOf(record, record.adminId);
  if (signing === null || !isAdminRole(signing.role)) {
    throw new ProtocolError('UNAUTHORIZED_SIGNER', 'a group genesis lists its signing member (adminId) with role admin or above');
  }
  if (signing.publicKey !== record.signer) {
    throw new ProtocolError('UNAUTHORIZED_SIGNER', 'signer is not the publicKey the genesis pins for adminId');
  }
  checkAdminKey(record, admin);
  checkRoleChanges(signing.role, [], record.members);
}

/**
 * Update: `prev` is the head's hash, `seq` head.seq + 1, `createdAt` later than the head's; the
 * signing member has role admin or above in the HEAD and `signer` is that user's current registry
 * key; every role change obeys the Peers rule. Checked in this order, so the losers of a race get
 * 409 PREV_MISMATCH whatever else is wrong.
 */
export function checkGroupSuccessor(head: GroupChainEntry, record: GroupRecord, admin: AdminIdentity | null): void {
  if (record.seq === 0) throw new ProtocolError('SEQ_MISMATCH', 'only the first record of a group has seq 0');
  if (record.groupId !== head.record.groupId) throw new ProtocolError('INVALID_RECORD', 'groupId differs from the chain it extends');
  if (record.prev !== head.hash) throw new ProtocolError('PREV_MISMATCH', "prev is not the hash of the group's head: the group moved on; read it again");
  if (record.seq !== head.record.seq + 1) throw new ProtocolError('SEQ_MISMATCH', `seq must be ${head.record.seq + 1}`);
  if (time(record.createdAt) <= time(head.record.createdAt)) throw new ProtocolError('TIME_ORDER', "createdAt must be later than the head's");
  const signing = memberOf(head.record, record.adminId);
  if (signing === null || !isAdminRole(signing.role)) {
    throw new ProtocolError('UNAUTHORIZED_SIGNER', "adminId is not a member of the group's head with role admin or above");
  }
  checkAdminKey(record, admin);
  checkRoleChanges(signing.role, head.record.members, record.members);
}

/** `signer` must be the admin's current publicKey in this registry, and the admin not revoked. */
function checkAdminKey(record: GroupRecord, admin: AdminIdentity | null): void {
  if (admin === null) throw new ProtocolError('UNAUTHORIZED_SIGNER', 'adminId has no identity in this registry');
  if (admin.status === 'revoked') throw new ProtocolError('UNAUTHORIZED_SIGNER', "adminId's identity is revoked: it has no current key");
  if (admin.publicKey !== record.signer) throw new ProtocolError('UNAUTHORIZED_SIGNER', "signer is not adminId's current publicKey in this registry");
}

/**
 * The Peers rule: a signer of role `signerRole` may change a member's role (adding is a change from
 * no role, removing a change to no role) only when its role is at least both the old and the new
 * one, and may change a member's pinned keys only when its role is at least the member's role
 * before the change. Afterwards at least one member must still have role admin or above.
 */
export function checkRoleChanges(signerRole: GroupRole, before: readonly GroupMember[], after: readonly GroupMember[]): void {
  const rank = roleRank(signerRole);
  const old = new Map(before.map((m) => [m.userId, m]));
  const next = new Map(after.map((m) => [m.userId, m]));
  for (const userId of new Set([...next.keys(), ...old.keys()])) {
    const was = old.get(userId) ?? null;
    const is = next.get(userId) ?? null;
    const from = was?.role ?? null;
    const to = is?.role ?? null;
    if (from !== to && (rank < roleRank(from) || rank < roleRank(to))) {
      throw new ProtocolError('FORBIDDEN_ROLE_CHANGE', `a member of role ${signerRole} cannot change ${userId} from ${from ?? 'no role'} to ${to ?? 'no role'}`);
    }
    const repinned = was !== null && is !== null && (was.publicKey !== is.publicKey || was.publicBoxKey !== is.publicBoxKey);
    if (repinned && rank < roleRank(from)) {
      throw new ProtocolError('FORBIDDEN_ROLE_CHANGE', `a member of role ${signerRole} cannot change the pinned keys of ${userId}, whose role ${from} ranks above it`);
    }
  }
  if (!after.some((m) => isAdminRole(m.role))) {
    throw new ProtocolError('FORBIDDEN_ROLE_CHANGE', 'the group would be left with no member of role admin or above');
  }
}

/**
 * Replays a group chain in log order, each record with the signing admin's identity at that point
 * of the log. Used by verify-log and by clients verifying a group bundle.
 */
export class GroupReplay<E extends GroupChainEntry = GroupChainEntry> {
  /** The chain so far, genesis first (groups have no recovery: every accepted record stays live). */
  readonly chain: E[] = [];

  get head(): E | undefined {
    return this.chain[this.chain.length - 1];
  }

  /** Applies the next record, or throws the ProtocolError the registry would have answered. */
  apply(entry: E, admin: AdminIdentity | null): void {
    const head = this.head;
    if (head === undefined) checkGroupGenesis(entry.record, admin);
    else checkGroupSuccessor(head, entry.record, admin);
    this.chain.push(entry);
  }
}

/**
 * The identity of a user as the registry held it just before log index `index`, from the user's
 * audit history (every record in log order, nullified ones included, as `GET /v1/users/{id}/log`
 * gives it): the head of the chain replayed up to there, or null when there was none yet. A record
 * a recovery later nullified still counts here if it was live at that point, as it was when the
 * registry decided.
 */
export function identityAt(history: readonly IdentityLogEntry[], index: number): AdminIdentity | null {
  const head = identityHeadAt(history, index);
  return head === null ? null : { publicKey: head.record.publicKey, status: head.record.status };
}

/** The history entry that was the user's live head just before log index `index`, or null. */
export function identityHeadAt<E extends IdentityLogEntry>(history: readonly E[], index: number): E | null {
  const replay = new IdentityReplay<E>();
  for (const entry of history) {
    if (entry.index >= index) break;
    replay.apply(entry);
  }
  return replay.live[replay.live.length - 1] ?? null;
}
