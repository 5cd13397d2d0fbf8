/**
 * Which user and group ids this registry admits (DESIGN.md §1, §6): server policy, kept apart from
 * protocol validity (the did:plc `constraints.ts` idea). Whether an id is bound to its genesis is a
 * pure protocol fact (protocol/ids.ts) that every client checks for itself; whether a registry
 * insists on it is the operator's choice:
 * - `self-certifying` (the default): a genesis whose id is not derived from its signer's key is
 *   refused with 422 ID_NOT_BOUND, so a leaked id cannot be squatted.
 * - `any`: any Peers id, first come first served — for a registry serving existing Peers accounts,
 *   whose ids were made at random. Clients see such ids reported as `unbound`.
 * Only geneses are judged: updates extend a chain that was admitted already, and a registry that
 * tightens its policy keeps the unbound chains it holds.
 */
import { ProtocolError } from '../protocol/errors.js';
import { groupIdBinding, userIdBinding } from '../protocol/ids.js';

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
