/**
 * The box key Peers derives from a signing key (DESIGN.md §10.3). Peers identities have one
 * Ed25519 key pair; the X25519 box key is its birational image, computed as ed2curve does
 * (`convertPublicKey`: u = (1 + y) / (1 − y) mod p; `convertSecretKey`: the first 32 bytes of
 * SHA-512 of the seed, clamped — the scalar Ed25519 itself signs with). Peers hosts compare both
 * keys, so a peerkeys identity made for Peers must carry exactly that box key.
 *
 * Pure and browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesEqual, fromBase64Url, toBase64Url } from './encoding.js';

/** Whether an identity's box key is the one derived from its signing key. */
export type BoxKeyBinding = 'derived' | 'independent';

/** The X25519 public key derived from an Ed25519 public key, or null when it is no curve point. */
export function derivedBoxPublicKey(signingPublicKey: Uint8Array): Uint8Array | null {
  if (signingPublicKey.length !== 32) return null;
  try {
    return ed25519.utils.toMontgomery(signingPublicKey);
  } catch {
    return null;
  }
}

/** The X25519 secret key derived from an Ed25519 seed (the first half of tweetnacl's 64-byte secret key). */
export function derivedBoxSecretKey(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes');
  return ed25519.utils.toMontgomerySecret(seed);
}

/** The derived box key of a base64url signing key, as base64url; null when it is no key. */
export function derivedBoxKey(signingPublicKey: string): string | null {
  const bytes = fromBase64Url(signingPublicKey, 32);
  const derived = bytes === null ? null : derivedBoxPublicKey(bytes);
  return derived === null ? null : toBase64Url(derived);
}

/** `derived` when `publicBoxKey` is the box key derived from `publicKey` (both base64url). */
export function boxKeyBinding(publicKey: string, publicBoxKey: string): BoxKeyBinding {
  const derived = derivedBoxKey(publicKey);
  const box = fromBase64Url(publicBoxKey, 32);
  return derived !== null && box !== null && bytesEqual(fromBase64Url(derived, 32)!, box) ? 'derived' : 'independent';
}
