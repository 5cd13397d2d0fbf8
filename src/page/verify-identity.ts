/**
 * One identity, verified in the browser with the SDK: the lookup (chain, inclusion proof,
 * checkpoint signature, consistency with the last checkpoint this browser saw), the audit history
 * (replayed, each entry's inclusion proven) and the devices (each signed by the current key).
 * The outcome is `verified` only when every one of those calls resolved; anything else is one of
 * the other outcomes, and no data from a failed answer is kept.
 */
import {
  RegistryError,
  VerificationError,
  type Checkpoint,
  type DeviceRecord,
  type RegistryClient,
  type VerifiedCheckpoint,
  type VerifiedHistoryEntry,
  type VerifiedIdentity,
} from '../sdk/index.js';

/** What the page checked, in the order it checks it. */
export type Phase = 'lookup' | 'history' | 'devices' | 'cross-check';

export interface IdentityReport {
  identity: VerifiedIdentity;
  history: { entries: VerifiedHistoryEntry[]; checkpoint: VerifiedCheckpoint };
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
  | { kind: 'not-found'; message: string }
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
    const history = await client.history(userId);
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
    if (error instanceof RegistryError) {
      if (phase === 'lookup' && error.status === 404 && error.code === 'NOT_FOUND') return { kind: 'not-found', message: error.message };
      return { kind: 'registry-error', status: error.status, code: error.code, message: error.message };
    }
    // A bug or an answer the SDK did not expect: not verified, whatever it was.
    return { kind: 'failed', code: 'PAGE_ERROR', message: error instanceof Error ? error.message : String(error), phase, verified };
  }
}
