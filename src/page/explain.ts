/**
 * Plain-language explanations of what went wrong, for people rather than programs. The page
 * always shows the stable code next to the explanation (branch on that, not on these words).
 */
import type { PageCode } from './verify-identity.js';
import type { VerificationCode } from '../sdk/index.js';

const VERIFICATION: Partial<Record<VerificationCode | PageCode, string>> = {
  INVALID_RESPONSE: 'The registry’s answer is not in the form the API promises, so nothing in it could be checked.',
  INVALID_RECORD: 'A record in this identity’s chain breaks the record format, or belongs to someone else.',
  BAD_SIGNATURE: 'A record’s signature does not verify: it was changed after its owner signed it, or its owner never signed it.',
  CHAIN_GAP: 'Records are missing from this identity’s chain.',
  CHAIN_ORDER: 'This identity’s records are out of order.',
  CHAIN_BROKEN:
    'A record does not follow from the one before it: it does not name the earlier record’s hash, is not signed by a key the earlier record authorised, or is dated before it.',
  HEAD_MISMATCH: 'The log proof is for another record than this identity’s latest one.',
  BAD_INCLUSION_PROOF: 'The proof that this identity’s latest record is in the public log does not check out: the registry may be showing you a record it never published.',
  BAD_CHECKPOINT:
    'The log checkpoint is not signed by the registry key this browser pinned, lacks the key map and time it must carry, or is dated in the future: the registry now signs with another key, this computer’s clock is wrong, or something between you and the registry changed its answer.',
  LOG_FORK: 'The log contradicts what this browser saw before: the registry shows different people different logs, or rewrote its history.',
  INSUFFICIENT_COSIGNATURES:
    'The log checkpoint is not cosigned by enough of the witnesses this page trusts: nobody independent has confirmed that everyone is shown this same log. Try again in a moment; if it persists, the registry may be showing you a view of its log it hides from the witnesses.',
  STALE_ANSWER:
    'The registry answered with an older version of this identity than its own key map holds, or than this browser has already seen: it may be hiding a recent change.',
  UNVERIFIED_ABSENCE:
    'The registry says it has no identity with this id, but did not prove it: the id may well exist, and the answer may have been changed on its way. Do not treat the id as unregistered.',
  STALE_CHECKPOINT:
    'The registry’s answer is dated by a checkpoint signed too long ago: it may be an old answer replayed to hide what changed since. Check this computer’s clock, or try again later.',
  INCOMPLETE_HISTORY: 'The audit history the registry shows leaves out records of this identity that its key map proves exist.',
  BAD_DEVICE: 'A device record in the answer is malformed.',
  REGISTRY_KEY_CHANGED:
    'The registry presents a different key from the one this browser pinned. Nothing was looked up. If the registry’s operator announced a new key, pin it below; otherwise someone may be impersonating the registry.',
  NO_REGISTRY_KEY: 'The registry presented no valid key for this page to pin, so there is nothing to verify its answers against.',
  HISTORY_MISMATCH: 'The audit history the registry shows people leaves out records of the chain it proved to this browser.',
  PAGE_ERROR: 'The page could not finish its checks. Nothing it was shown counts as verified.',
};

export function explainVerification(code: string): string {
  return VERIFICATION[code as VerificationCode | PageCode] ?? 'A check failed. Nothing the registry showed for this id counts as verified.';
}

export function explainRegistryError(status: number, code: string): string {
  if (code === 'NETWORK') return 'The registry could not be reached: check your connection, or try again later.';
  if (status === 429) return 'Too many requests from your address for now: wait a minute, then try again.';
  if (status === 503) return 'The registry cannot reach its database right now: try again shortly.';
  if (status >= 500) return 'The registry had a problem answering: try again later.';
  return 'The registry refused the request.';
}

/** Why a text is not a Peers user id (DESIGN.md §1: 25 characters of [0-9a-z]), or null when it is one. */
export function whyNotUserId(text: string): string | null {
  if (text === '') return 'Enter a user id.';
  const bad = [...text].findIndex((c) => !/[0-9a-z]/.test(c));
  if (bad >= 0) {
    const char = [...text][bad]!;
    const shown = /\s/.test(char) ? 'a space' : `“${char}”`;
    return `${shown} (character ${bad + 1}) cannot be in a user id: use digits 0–9 and lower-case letters a–z.`;
  }
  if (text.length !== 25) return `A user id has exactly 25 characters; this has ${text.length}.`;
  return null;
}
