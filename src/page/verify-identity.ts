/**
 * One identity, verified in the browser with the SDK: the lookup (chain, inclusion proof,
 * checkpoint signature and age, consistency with the last checkpoint this browser saw, and the
 * key map's proof that the head is the newest record), the audit history (replayed, each entry's
 * inclusion proven, complete up to the map's head) and the devices (each signed by the current
 * key). The outcome is `verified` only when every one of those calls resolved; `not-found` only
 * when the SDK proved the absence; anything else is one of the other outcomes, and no data from a
 * failed answer is kept.
 */
import {
  NotFoundError,
  RegistryError,
  VerificationError,
  type Checkpoint,
  type DeviceRecord,
  type RegistryClient,
  type VerifiedHistoryEntry,
  type VerifiedIdentity,
  type VerifiedRegistryCheckpoint,
} from '../sdk/index.js';

/** What the page checked, in the order it checks it. */
export type Phase = 'lookup' | 'history' | 'devices' | 'cross-check';

export interface IdentityReport {
  identity: VerifiedIdentity;
  history: { entries: VerifiedHistoryEntry[]; checkpoint: VerifiedRegistryCheckpoint };
  devices: DeviceRecord[];
  /** The last checkpoint this browser had verified before this lookup, if any. */
  previous: Checkpoint | null;
}

/** Failures the page itself detects, beyond the SDK's VerificationError codes. */
export type PageCode = 'REGISTRY_KEY_CHANGED' | 'NO_REGISTRY_KEY' | 'HISTORY_MISMATCH' | 'PAGE_ERROR';

export type Outcome =
  | { kind: 'verified'; report: IdentityReport }
  | {
      kind: 'failed';
      code: VerificationError['code'] | PageCode;
      message: string;
      /** The phase that failed; the phases before it resolved, so their checks were earned. */
      phase: Phase | 'pin';
      /** What was verified before the failure, to show which checks passed. */
      verified: { identity?: VerifiedIdentity; history?: IdentityReport['history']; previous: Checkpoint | null };
    }
  /** The registry proved, by the key map of a verified checkpoint, that no identity has this id. */
  | { kind: 'not-found'; message: string; checkpoint: VerifiedRegistryCheckpoint }
  | { kind: 'registry-error'; status: number; code: string; message: string };

/**
 * The registry's own answers are cached for 5 s; the page revalidates them (ETag, 304) so that a
 * cached older lookup is never compared with a newer head this browser already verified.
 */
export const revalidatingFetch: typeof fetch = (input, init) => globalThis.fetch(input, { ...init, cache: 'no-cache' });

export async function verifyIdentity(client: RegistryClient, userId: string, onPhase: (phase: Phase) => void = () => {}): Promise<Outcome> {
  let phase: Phase = 'lookup';
  const verified: { identity?: VerifiedIdentity; history?: IdentityReport['history']; previous: Checkpoint | null } = { previous: null };
  try {
    verified.previous = await client.lastCheckpoint();
    onPhase(phase);
    const identity = await client.lookup(userId);
    verified.identity = identity;

    onPhase((phase = 'history'));
    const history = await client.history(userId, { identity });
    verified.history = history;

    onPhase((phase = 'devices'));
    const devices = await client.devices(userId, identity);

    // The live chain the lookup proved must be in the audit history the registry shows people:
    // the same records at the same log indexes (nullified or not, should a recovery have come
    // in between the two requests).
    phase = 'cross-check';
    const shown = new Map(history.entries.map((entry) => [entry.index, JSON.stringify(entry.record)]));
    const missing = identity.entries.find((entry) => shown.get(entry.index) !== JSON.stringify(entry.record));
    if (missing !== undefined) {
      return { kind: 'failed', code: 'HISTORY_MISMATCH', message: `the audit history has no record at log index ${missing.index} as the lookup showed it`, phase, verified };
    }
    return { kind: 'verified', report: { identity, history, devices, previous: verified.previous } };
  } catch (error) {
    if (error instanceof VerificationError) return { kind: 'failed', code: error.code, message: error.message, phase, verified };
    // Only a proven absence is "not found": an unproven 404 is a VerificationError (UNVERIFIED_ABSENCE) above.
    if (error instanceof NotFoundError && phase === 'lookup') return { kind: 'not-found', message: error.message, checkpoint: error.checkpoint };
    if (error instanceof RegistryError) {
      return { kind: 'registry-error', status: error.status, code: error.code, message: error.message };
    }
    // A bug or an answer the SDK did not expect: not verified, whatever it was.
    return { kind: 'failed', code: 'PAGE_ERROR', message: error instanceof Error ? error.message : String(error), phase, verified };
  }
}
