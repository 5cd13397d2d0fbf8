/**
 * Public key validity (DESIGN.md §1): keys that cannot be used safely are refused wherever a key
 * is accepted, so no later check has to reason about them.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

/** Keys validated recently; checking a point costs a field square root (~0.2 ms in pure JS). */
const validEd25519 = new Map<string, true>();
const CACHE_LIMIT = 10_000;

function keyOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/**
 * An Ed25519 public key must be the canonical encoding of a curve point (RFC 8032 §5.1.3, y < p)
 * that is not of small order. Small-order keys include the all-zero key, under which some
 * implementations accept an all-zero signature for every message.
 */
export function isValidEd25519PublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  const key = keyOf(bytes);
  if (validEd25519.has(key)) return true;
  let valid: boolean;
  try {
    valid = !ed25519.Point.fromBytes(bytes, false).isSmallOrder();
  } catch {
    valid = false;
  }
  if (valid) {
    if (validEd25519.size >= CACHE_LIMIT) validEd25519.clear();
    validEd25519.set(key, true);
  }
  return valid;
}

const P = 2n ** 255n - 19n;

/**
 * Curve25519 u-coordinates of order dividing the cofactor, on the curve or its twist: X25519 with
 * any of them yields a shared secret the attacker knows (all zeros). The list is complete; see
 * https://cr.yp.to/ecdh.html#validate and RFC 7748 §6.1.
 */
const LOW_ORDER_U = new Set([
  0n,
  1n,
  P - 1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
]);

/**
 * An X25519 public key must be a canonical u-coordinate (little-endian, < p, so the top bit is
 * clear) and not of small order.
 */
export function isValidX25519PublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(bytes[i]!);
  return u < P && !LOW_ORDER_U.has(u);
}
