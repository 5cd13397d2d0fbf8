/**
 * WebRTC signaling as sealed messages (DESIGN.md §7–8): offers, answers and ICE candidates are
 * signed and boxed to the other peer, so any relay (a socket.io room, a shared server, a QR
 * code) can carry them without being able to read, alter, redirect or replay them.
 */
import type { JsonValue } from '../../protocol/json.js';
import { VerificationError } from '../errors.js';
import { open, seal, type OpenOptions, type PublicKeys, type Recipient, type SealedEnvelope, type Sender } from '../sealed.js';

export type SignalKind = 'offer' | 'answer' | 'candidate';

export interface Signal {
  kind: SignalKind;
  /** An RTCSessionDescriptionInit or RTCIceCandidateInit, as JSON. */
  data: JsonValue;
}

/** Seals one signaling message for `recipient`. */
export function sealSignal(signal: Signal, sender: Sender, recipient: PublicKeys, now?: number): SealedEnvelope {
  return seal({ signal: signal.kind, data: signal.data }, sender, recipient, now);
}

/** Opens a signaling message from `sender` (keys from a verified lookup or another trust source). */
export function openSignal(envelope: SealedEnvelope, recipient: Recipient, sender: PublicKeys, options: OpenOptions): Signal {
  const { payload } = open(envelope, recipient, sender, options);
  const message = payload as { signal?: unknown; data?: unknown } | null;
  if (typeof message !== 'object' || message === null || !['offer', 'answer', 'candidate'].includes(message.signal as string) || message.data === undefined) {
    throw new VerificationError('BAD_SIGNATURE', 'the sealed message is not a signaling message');
  }
  return { kind: message.signal as SignalKind, data: message.data as JsonValue };
}
