/**
 * The registry's admission policy: what this server asks of a write beyond protocol validity, kept
 * apart from the protocol's rules (the did:plc `constraints.ts` idea). Verifiers replaying the log
 * never apply these: they concern the moment of submission and this registry's choices.
 *
 * - Clock skew: a submitted record's own time must be within MAX_CLOCK_SKEW_MS of the server's
 *   clock (records in the log are not re-judged by it: they were admitted at their time).
 * - Path ids: the ids in a request's path are Peers ids, and the record is about them.
 * - Fork-attempt detection: a write whose `prev` names a live record that is not the head is a
 *   recovery or refused, so the per-user write budget never applies to it (DESIGN.md §2).
 * - Id policy: which user and group ids this registry admits (DESIGN.md §1, §6). Whether an id is
 *   bound to its genesis is a pure protocol fact (protocol/ids.ts) that every client checks for
 *   itself; whether a registry insists on it is the operator's choice:
 * - `self-certifying` (the default): a genesis whose id is not derived from its signer's key is
 *   refused with 422 ID_NOT_BOUND, so a leaked id cannot be squatted.
 * - `any`: any Peers id, first come first served — for a registry serving existing Peers accounts,
 *   whose ids were made at random. Clients see such ids reported as `unbound`.
 * Only geneses are judged: updates extend a chain that was admitted already, and a registry that
 * tightens its policy keeps the unbound chains it holds.
 */
import type { DbClient } from '../db/client.js';
import { isForkPoint } from '../db/identity-repository.js';
import { fromBase64Url } from '../protocol/encoding.js';
import { ProtocolError } from '../protocol/errors.js';
import { groupIdBinding, isPeersId, userIdBinding } from '../protocol/ids.js';
import { MAX_CLOCK_SKEW_MS, parseTimestamp } from '../protocol/time.js';

/** A submitted record's own time (`createdAt`, a device's `updatedAt`) must be near the server's clock. */
export function checkClockSkew(createdAt: string, now: number): void {
  const skew = Math.abs(parseTimestamp(createdAt)! - now); // schema-checked before any policy runs
  if (skew > MAX_CLOCK_SKEW_MS) {
    throw new ProtocolError('CLOCK_SKEW', `the record's time is ${Math.round(skew / 1000)} s from the server's clock; at most ${MAX_CLOCK_SKEW_MS / 1000} s are allowed`);
  }
}

/** An id in a request's path: a Peers id, or 400 MALFORMED before anything is read. */
export function assertPeersId(text: string, what: string): void {
  if (!isPeersId(text)) throw new ProtocolError('MALFORMED', `${what} is not a Peers id (25 characters of [0-9a-z])`);
}

/** A record submitted under a path names the path's id. */
export function assertPathId(recordId: string, pathId: string, what: string): void {
  if (recordId !== pathId) throw new ProtocolError('INVALID_RECORD', `the record’s ${what} differs from the one in the path`);
}

/**
 * Whether a write to POST /v1/users/{userId} is a fork attempt: its `prev` names a live record
 * of this user that is not the head. Such a write is either a recovery or refused, so the
 * per-user write budget never applies to it (a thief must not be able to spend the budget the
 * owner needs to recover). Read before the write is decided, so it is only a hint for the rate
 * limiter — but a safe one: a fork point never becomes the head again, so a write this lets
 * past the budget can only be accepted as a recovery. Comparing `prev` with the head instead
 * would let a rotation-key holder pipeline a chain of updates whose `prev`s are not stored yet.
 */
export async function isForkAttempt(db: DbClient, userId: string, body: unknown): Promise<boolean> {
  if (!isPeersId(userId) || typeof body !== 'object' || body === null) return false;
  const prev = (body as { prev?: unknown }).prev;
  if (typeof prev !== 'string' || fromBase64Url(prev, 32) === null) return false;
  return isForkPoint(db, userId, prev);
}

export type IdPolicy = 'self-certifying' | 'any';

export const ID_POLICIES = ['self-certifying', 'any'] as const satisfies readonly IdPolicy[];

/** Refuses an identity genesis whose userId the policy does not admit. */
export function admitUserId(policy: IdPolicy, genesis: { userId: string; signer: string }): void {
  if (policy === 'self-certifying' && userIdBinding(genesis) !== 'self-certifying') {
    throw new ProtocolError('ID_NOT_BOUND', 'this registry admits only self-certifying userIds: the id must be derived from the key that signs its genesis (DESIGN.md §1)');
  }
}

/** Refuses a group genesis whose groupId the policy does not admit. */
export function admitGroupId(policy: IdPolicy, genesis: { groupId: string; signer: string }): void {
  if (policy === 'self-certifying' && groupIdBinding(genesis) !== 'self-certifying') {
    throw new ProtocolError('ID_NOT_BOUND', 'this registry admits only self-certifying groupIds: the id must be derived from the key that signs its genesis (DESIGN.md §1)');
  }
}
