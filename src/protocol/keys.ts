/**
 * Public key validity (DESIGN.md §1): keys that cannot be used safely are refused wherever a key
 * is accepted, so no later check has to reason about them.
 */
import { isAcceptableEd25519Key } from './ed25519.js';

/**
 * An Ed25519 public key must be acceptable under the one rule of ed25519.ts (DESIGN.md §1):
 * canonical, on the curve, not of small order, in the prime-order subgroup. Small-order keys
 * include the all-zero key, under which some implementations accept an all-zero signature for
 * every message; mixed-order keys make cofactored and cofactorless verifiers disagree.
 */
export const isValidEd25519PublicKey = isAcceptableEd25519Key;

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
