/**
 * A client's witness policy (DESIGN.md §5.4). One checkpoint cosigned by the quorum passes. A
 * fresher one (the registry signs one per write batch, and its witnesses cosign in the background)
 * passes when the newest checkpoint cosigned by the quorum (`GET /v1/log/checkpoint?cosigned=k`,
 * asked again every quarter second until `waitMs` have passed since the first ask, 5 seconds by
 * default) is at least as large and provably extends it: the witnesses then vouch for a log it is
 * a prefix of. Otherwise INSUFFICIENT_COSIGNATURES.
 */
import type { NoteKey } from '../../protocol/checkpoint.js';
import { checkWitnessPolicy, witnessPolicy, type WitnessPolicy } from '../../protocol/cosignature.js';
import { toBase64 } from '../../protocol/encoding.js';
import type { VerifySignature } from '../../protocol/signing.js';
import { RegistryError, VerificationError } from '../errors.js';
import { verifyRegistryCheckpoint, type VerifiedRegistryCheckpoint } from '../map-verify.js';
import { consistencySchema } from '../responses.js';
import { verifyCheckpointsConsistent } from '../verify.js';

/** How long a client keeps asking for a cosigned checkpoint by default (RegistryClientOptions.witnesses.waitMs). */
export const DEFAULT_COSIGNED_WAIT_MS = 5_000;
/** How far apart it asks. */
const COSIGNED_RETRY_MS = 250;

/** A witness policy as the client's options give it (RegistryClientOptions.witnesses). */
export interface WitnessOptions {
  /** The trusted witnesses' cosigner vkeys (type 0x04). */
  vkeys: string[];
  /** How many of them must cosign. */
  quorum: number;
  /**
   * How long, in milliseconds from its first ask, to keep asking for a cosigned checkpoint that
   * extends a fresh one, the asks' own time included (default 5000; 0 asks once).
   */
  waitMs?: number;
}

export interface PolicyContext {
  key: NoteKey;
  verify: VerifySignature;
  now: () => number;
  /** A GET on the registry (text for checkpoints, JSON otherwise); problem answers are RegistryErrors. */
  request: (path: string) => Promise<unknown>;
}

const parsed = new Map<string, WitnessPolicy | null>();

function policyOf(options: WitnessOptions): WitnessPolicy {
  const id = `${options.quorum} ${options.vkeys.join(' ')}`;
  if (!parsed.has(id)) parsed.set(id, witnessPolicy(options.vkeys, options.quorum));
  const policy = parsed.get(id)!;
  if (policy === null) throw new TypeError('witnesses: cosigner vkeys (type 0x04), no repeats, and a quorum from 1 to their number');
  return policy;
}

export async function requireCosignatures(checkpoint: VerifiedRegistryCheckpoint, options: WitnessOptions, context: PolicyContext): Promise<void> {
  const policy = policyOf(options);
  const { verify, now } = context;
  const first = await checkWitnessPolicy(checkpoint.note, policy, verify, now());
  if (first.ok) return;
  // A deadline on the monotonic clock, so the asks' own time counts; asked at least once, however
  // short the wait, and an ask under way at the deadline is answered, not cut off.
  const deadline = performance.now() + (options.waitMs ?? DEFAULT_COSIGNED_WAIT_MS);
  for (;;) {
    if (await cosignedExtensionFound(checkpoint, policy, context)) return;
    const left = deadline - performance.now();
    if (left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(COSIGNED_RETRY_MS, left)));
  }
  const future = first.futureTime.length > 0 ? `; cosigned with a time in the future by ${first.futureTime.join(', ')}` : '';
  throw new VerificationError(
    'INSUFFICIENT_COSIGNATURES',
    `the checkpoint of size ${checkpoint.size} is cosigned by ${first.cosigners.length} of the ${policy.witnesses.length} trusted witnesses (${first.cosigners.join(', ') || 'none'}), ${policy.quorum} required, and no checkpoint cosigned by ${policy.quorum} of them extends it${future}`,
  );
}

/**
 * Whether the newest checkpoint cosigned by the quorum vouches for `checkpoint`: at least as large,
 * meeting the policy, and provably extending it. A fork shown by the two is a LOG_FORK.
 */
async function cosignedExtensionFound(checkpoint: VerifiedRegistryCheckpoint, policy: WitnessPolicy, context: PolicyContext): Promise<boolean> {
  const { verify, now } = context;
  const note = await context.request(`/v1/log/checkpoint?cosigned=${policy.quorum}`).catch((error: unknown) => {
    if (error instanceof RegistryError && error.code === 'NOT_FOUND') return null;
    throw error;
  });
  if (note === null) return false;
  const witnessed = await verifyRegistryCheckpoint(note as string, context.key, verify);
  if (witnessed.size < checkpoint.size || !(await checkWitnessPolicy(witnessed.note, policy, verify, now())).ok) return false;
  if (witnessed.size > checkpoint.size && checkpoint.size > 0) {
    const proof = consistencySchema.safeParse(await context.request(`/v1/log/proof/consistency?from=${checkpoint.size}&to=${witnessed.size}`));
    if (!proof.success) throw new VerificationError('INVALID_RESPONSE', 'the consistency answer is malformed');
    verifyCheckpointsConsistent(checkpoint, witnessed, proof.data.hashes);
  } else if (witnessed.size === checkpoint.size && toBase64(witnessed.root) !== toBase64(checkpoint.root)) {
    throw new VerificationError('LOG_FORK', `two different checkpoints of size ${checkpoint.size}: the log was forked`);
  }
  return true;
}
