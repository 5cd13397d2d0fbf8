/**
 * Sealed messages (DESIGN.md §7): a payload signed by the sender's signing key, then boxed
 * (NaCl box: X25519 + XSalsa20-Poly1305) to the recipient's box key. The box hides the message and
 * authenticates the sender's box key; the signature binds the message to the sender's identity
 * key, so it stays attributable after unboxing; `from`, `to`, `sentAt` and the nonce inside the
 * signature stop it being redirected, delayed or replayed.
 */
import nacl from 'tweetnacl';
import { concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../protocol/encoding.js';
import { canonicalJson, isJsonObject, parseJson, type JsonValue } from '../protocol/json.js';
import { SIGNING_PREFIX } from '../protocol/signing.js';
import { MAX_CLOCK_SKEW_MS, formatTimestamp, parseTimestamp } from '../protocol/time.js';
import { tweetnaclVerify } from './tweetnacl-verify.js';
import { VerificationError } from './errors.js';
import type { BoxKeyPair, SigningKeyPair } from './keys.js';

/** The wire form of a sealed message. */
export interface SealedEnvelope {
  type: 'sealed';
  from: string;
  to: string;
  /** base64url of the 24-byte box nonce. */
  nonce: string;
  /** base64url of the box: signature (64 bytes) || signed bytes, boxed. */
  box: string;
}

/** The sender's side: its userId and secret keys (they never leave the caller). */
export interface Sender {
  userId: string;
  signingKey: SigningKeyPair;
  boxKey: BoxKeyPair;
}

/** The recipient's side when opening: its userId and box key pair. */
export interface Recipient {
  userId: string;
  boxKey: BoxKeyPair;
}

/** Another party's public keys, from a verified lookup (or another trust source). */
export interface PublicKeys {
  userId: string;
  publicKey: string;
  publicBoxKey: string;
}

export interface OpenedMessage {
  from: string;
  to: string;
  sentAt: string;
  payload: JsonValue;
}

const MESSAGE_PREFIX = `${SIGNING_PREFIX}message\n`;

/** Remembers nonces of opened messages for as long as they could still pass the freshness check. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  /** True when the nonce is new (and now remembered); false for a replay. */
  check(nonce: string, now: number): boolean {
    for (const [key, expires] of this.seen) {
      if (expires > now) break; // insertion order ≈ expiry order
      this.seen.delete(key);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now + 2 * MAX_CLOCK_SKEW_MS);
    return true;
  }
}

function decodeKey(text: string, what: string): Uint8Array {
  const bytes = fromBase64Url(text, 32);
  if (bytes === null) throw new TypeError(`${what} is not a 32-byte base64url key`);
  return bytes;
}

/** Seals `payload` from `sender` to `recipient`. */
export function seal(payload: JsonValue, sender: Sender, recipient: PublicKeys, now: number = Date.now()): SealedEnvelope {
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const signed = utf8(MESSAGE_PREFIX + canonicalJson({ from: sender.userId, to: recipient.userId, sentAt: formatTimestamp(now), nonce: toBase64Url(nonce), payload }));
  const signature = nacl.sign.detached(signed, sender.signingKey.secretKey);
  const box = nacl.box(concatBytes(signature, signed), nonce, decodeKey(recipient.publicBoxKey, 'the recipient’s publicBoxKey'), sender.boxKey.secretKey);
  return { type: 'sealed', from: sender.userId, to: recipient.userId, nonce: toBase64Url(nonce), box: toBase64Url(box) };
}

export interface OpenOptions {
  /** Required: remembers nonces so a message opens once. Share one per recipient. */
  replayGuard: ReplayGuard;
  now?: number;
}

/**
 * Opens a sealed message: unboxes it, verifies the signature against the sender's `publicKey`,
 * checks that `from`, `to` and the nonce inside match the envelope and the opener, that it was
 * sent within 5 minutes, and that it was not opened before.
 * @throws VerificationError with code BAD_BOX, BAD_SIGNATURE, WRONG_RECIPIENT, STALE_MESSAGE or REPLAYED_MESSAGE.
 */
export function open(envelope: SealedEnvelope, recipient: Recipient, sender: PublicKeys, options: OpenOptions): OpenedMessage {
  const now = options.now ?? Date.now();
  if (envelope?.type !== 'sealed' || typeof envelope.box !== 'string' || typeof envelope.nonce !== 'string') {
    throw new VerificationError('BAD_BOX', 'not a sealed envelope');
  }
  if (envelope.to !== recipient.userId) throw new VerificationError('WRONG_RECIPIENT', `the message is addressed to ${String(envelope.to)}`);
  if (envelope.from !== sender.userId) throw new VerificationError('BAD_SIGNATURE', `the message claims to be from ${String(envelope.from)}, not ${sender.userId}`);
  const nonce = fromBase64Url(envelope.nonce, nacl.box.nonceLength);
  const box = fromBase64Url(envelope.box);
  if (nonce === null || box === null) throw new VerificationError('BAD_BOX', 'the nonce or box is not valid base64url');
  const opened = nacl.box.open(box, nonce, decodeKey(sender.publicBoxKey, 'the sender’s publicBoxKey'), recipient.boxKey.secretKey);
  if (opened === null || opened.length < 64) throw new VerificationError('BAD_BOX', 'the box does not open with these keys: tampered, or not for this recipient');

  const signature = opened.slice(0, 64);
  const signed = opened.slice(64);
  if (!tweetnaclVerify(decodeKey(sender.publicKey, 'the sender’s publicKey'), signed, signature)) {
    throw new VerificationError('BAD_SIGNATURE', 'the message is not signed by the sender’s signing key');
  }
  const text = fromUtf8(signed);
  if (text === null || !text.startsWith(MESSAGE_PREFIX)) throw new VerificationError('BAD_SIGNATURE', 'the signed bytes are not a peerkeys message');
  let message: unknown;
  try {
    message = parseJson(text.slice(MESSAGE_PREFIX.length));
  } catch {
    throw new VerificationError('BAD_SIGNATURE', 'the signed message is not valid JSON');
  }
  if (!isJsonObject(message) || typeof message['sentAt'] !== 'string' || !('payload' in message)) throw new VerificationError('BAD_SIGNATURE', 'the signed message is malformed');
  if (message['from'] !== envelope.from || message['nonce'] !== envelope.nonce) throw new VerificationError('BAD_SIGNATURE', 'the envelope does not match the signed message');
  if (message['to'] !== recipient.userId) throw new VerificationError('WRONG_RECIPIENT', 'the signed message is for someone else');
  const sentAt = parseTimestamp(message['sentAt']);
  if (sentAt === null || Math.abs(now - sentAt) > MAX_CLOCK_SKEW_MS) throw new VerificationError('STALE_MESSAGE', 'the message was not sent within the last 5 minutes');
  if (!options.replayGuard.check(envelope.nonce, now)) throw new VerificationError('REPLAYED_MESSAGE', 'this message was opened before');
  return { from: envelope.from, to: recipient.userId, sentAt: message['sentAt'], payload: message['payload'] as JsonValue };
}
