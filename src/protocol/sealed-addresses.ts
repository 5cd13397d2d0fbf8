/**
 * Sealed device addresses (DESIGN.md §3.1): a device record may carry addresses that only chosen
 * recipients can read — their box keys, e.g. a group's members or a user's contacts — while the
 * registry stores and serves ciphertext and the recipient list only. This module is the wire
 * format: the schema the registry enforces and the byte layout both sides compute. Sealing and
 * opening (NaCl box and secretbox, tweetnacl) are in the SDK (sdk/device-addresses.ts).
 *
 *   K  = 32 random bytes, fresh for each record         (the secretbox key)
 *   e  = a fresh X25519 key pair, E its public key       (forgotten once sealed)
 *   n  = SHA-256("peerkeys:v1:device-addresses\n" || E)[0..24)
 *   box = secretbox(UTF-8(JCS({ "addresses", "deviceId", "userId" })), n, K)
 *   for each recipient box key R:
 *     n_R = SHA-256("peerkeys:v1:device-addresses-key\n" || E || R)[0..24)
 *     key_R = box(K, n_R, R, e)                          (48 bytes)
 *
 * Pure and browser-safe.
 */
import * as z from 'zod/mini';
import { concatBytes, fromBase64Url, utf8 } from './encoding.js';
import { sha256 } from './hash.js';
import { canonicalJson } from './json.js';
import type { Assert, SchemaMatches } from './records.js';
import { x25519KeySchema } from './schemas.js';

/** At most this many recipients: with the largest box, a record still fits the 8 KiB device limit. */
export const SEALED_MAX_RECIPIENTS = 32;
/** The largest plaintext (the JCS of the sealed object), in bytes. */
export const SEALED_MAX_PLAINTEXT_BYTES = 2048;
/** A wrapped key: the 32-byte secretbox key and box's 16-byte tag. */
export const SEALED_KEY_BYTES = 48;
/** secretbox's tag. */
export const SECRETBOX_OVERHEAD = 16;

export const SEALED_ADDRESSES_DOMAIN = 'peerkeys:v1:device-addresses\n';
export const SEALED_ADDRESSES_KEY_DOMAIN = 'peerkeys:v1:device-addresses-key\n';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url that decodes (strictly) to between `min` and `max` bytes. */
function base64UrlBytes(min: number, max: number, what: string) {
  return z.string().check(
    z.maxLength(Math.ceil((max * 4) / 3)),
    z.regex(BASE64URL, `${what} must be unpadded base64url`),
    z.refine((text) => {
      const bytes = fromBase64Url(text);
      return bytes !== null && bytes.length >= min && bytes.length <= max;
    }, `${what} must decode to ${min === max ? `${min}` : `${min} to ${max}`} bytes`),
  );
}

/** @internal */
export const sealedAddressesSchema = z.strictObject({
  ephemeralKey: x25519KeySchema,
  recipients: z
    .array(z.strictObject({ publicBoxKey: x25519KeySchema, key: base64UrlBytes(SEALED_KEY_BYTES, SEALED_KEY_BYTES, 'a wrapped key') }))
    .check(
      z.minLength(1),
      z.maxLength(SEALED_MAX_RECIPIENTS),
      z.refine((list) => new Set(list.map((r) => r.publicBoxKey)).size === list.length, 'recipients must be distinct'),
    ),
  box: base64UrlBytes(SECRETBOX_OVERHEAD + 1, SECRETBOX_OVERHEAD + SEALED_MAX_PLAINTEXT_BYTES, 'box'),
});

/** A device's addresses sealed to chosen recipients' box keys (all fields unpadded base64url). */
export type SealedAddresses = {
  /** The X25519 key of the ephemeral key pair that sealed them. */
  ephemeralKey: string;
  /** 1 to 32 recipients: each one's box key and the secretbox key boxed to it. */
  recipients: Array<{ publicBoxKey: string; key: string }>;
  /** The secretbox of the addresses. */
  box: string;
};
type _SealedAddressesMatchSchema = Assert<SchemaMatches<typeof sealedAddressesSchema, SealedAddresses>>;

function nonce24(...parts: Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...parts)).slice(0, 24);
}

/** The secretbox nonce of the sealed addresses, from the ephemeral key. */
export function sealedBoxNonce(ephemeralKey: Uint8Array): Uint8Array {
  return nonce24(utf8(SEALED_ADDRESSES_DOMAIN), ephemeralKey);
}

/** The box nonce of one recipient's wrapped key. */
export function sealedKeyNonce(ephemeralKey: Uint8Array, recipientKey: Uint8Array): Uint8Array {
  return nonce24(utf8(SEALED_ADDRESSES_KEY_DOMAIN), ephemeralKey, recipientKey);
}

/** The plaintext: the addresses bound to the device they belong to. */
export function sealedPlaintext(userId: string, deviceId: string, addresses: readonly string[]): Uint8Array {
  return utf8(canonicalJson({ userId, deviceId, addresses }));
}
