/**
 * Hand-made Ed25519 keys and signatures that some verifiers accept and others refuse: the
 * constructions behind test/vectors/ed25519/ (its README says which is which), written with
 * @noble/curves point arithmetic so that each can be re-made over any message (a record's
 * signing input, for the HTTP tests). Test code only: nothing here is used by src/.
 *
 * Notation (RFC 8032 §5.1): B the base point, L its order, k = SHA-512(R || A || M) mod L, and a
 * signature (R, S) verifies "cofactorless" when [S]B = R + [k]A with R compared as bytes (OpenSSL,
 * tweetnacl, libsodium 1.0.18) and "cofactored" when [8][S]B = [8]R + [8][k]A (ZIP-215).
 */
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { fromLe, hex, L, le32, P } from './bytes.js';

const Point = ed25519.Point;
const B = Point.BASE;

/** The challenge k = SHA-512(R || A || M) mod L, over the bytes exactly as they are sent. */
export function challenge(r: Uint8Array, publicKey: Uint8Array, message: Uint8Array): bigint {
  return fromLe(sha512(concat(r, publicKey, message))) % L;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** RFC 8032 §5.1.5: the secret scalar a (clamped, then reduced mod L) and the nonce prefix of a seed. */
export function expandSeed(seed: Uint8Array): { scalar: bigint; prefix: Uint8Array; publicKey: Uint8Array } {
  const h = sha512(seed);
  const head = h.slice(0, 32);
  head[0]! &= 248;
  head[31]! &= 127;
  head[31]! |= 64;
  const scalar = fromLe(head) % L;
  return { scalar, prefix: h.slice(32), publicKey: B.multiply(scalar).toBytes() };
}

/** R || S as 64 bytes. */
export function signatureOf(r: Uint8Array, s: bigint): Uint8Array {
  return concat(r, le32(s));
}

/** The i-th point of the torsion subgroup, in @noble/curves' order; index 1 has order 8. */
export function torsionPoint(index: number) {
  return Point.fromHex(ED25519_TORSION_SUBGROUP[index]!);
}

/** The order of a small-order point: the least n in 1, 2, 4, 8 with [n]T = O. */
export function smallOrder(point: ReturnType<typeof torsionPoint>): number {
  let p = point;
  for (let n = 1; n <= 8; n *= 2) {
    if (p.is0()) return n;
    p = p.double();
  }
  throw new Error('not a small-order point');
}

/**
 * A mixed-order key A = aB + T: the holder of `seed` knows a, T is a torsion point. A signature
 * R = rB, S = r + ka mod L meets the cofactored equation always, and the cofactorless one exactly
 * when [k]T = O, i.e. when k is a multiple of T's order. The signer tries nonces until k is one
 * (8 tries on average for T of order 8): then OpenSSL, tweetnacl and libsodium 1.0.18 accept.
 * Nonces are derived from the seed, a counter and the message, so the result is reproducible.
 */
export function mixedOrderSigner(seed: Uint8Array, torsionIndex = 1) {
  const { scalar, prefix } = expandSeed(seed);
  const torsion = torsionPoint(torsionIndex);
  const order = BigInt(smallOrder(torsion));
  const publicKey = B.multiply(scalar).add(torsion).toBytes();
  return {
    publicKey,
    sign(message: Uint8Array): Uint8Array {
      for (let counter = 0; counter < 1000; counter++) {
        const r = fromLe(sha512(concat(prefix, le32(BigInt(counter)), message))) % L;
        const rBytes = B.multiply(r === 0n ? 1n : r).toBytes();
        const k = challenge(rBytes, publicKey, message);
        if (k % order === 0n) return signatureOf(rBytes, (r + k * scalar) % L);
      }
      throw new Error('no nonce found'); // 1000 misses in a row has probability (7/8)^1000
    },
  };
}

/**
 * A signature whose R is the small-order point T (index into the torsion subgroup; 0 is the
 * identity), under an ordinary key: S = k·a. With R = identity it meets the cofactorless equation
 * ([S]B = [k]A = O + [k]A), so OpenSSL and tweetnacl accept it; with any other T only the
 * cofactored one. libsodium refuses every small-order R. It also gives a away: a = S/k.
 */
export function smallOrderRSignature(seed: Uint8Array, message: Uint8Array, torsionIndex = 0): { publicKey: Uint8Array; signature: Uint8Array } {
  const { scalar, publicKey } = expandSeed(seed);
  const r = hex(ED25519_TORSION_SUBGROUP[torsionIndex]!);
  return { publicKey, signature: signatureOf(r, (challenge(r, publicKey, message) * scalar) % L) };
}

/** An honest signature (RFC 8032), computed here rather than by a library under test. */
export function honestSignature(seed: Uint8Array, message: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array } {
  const { scalar, prefix, publicKey } = expandSeed(seed);
  const r = fromLe(sha512(concat(prefix, message))) % L;
  const rBytes = B.multiply(r).toBytes();
  return { publicKey, signature: signatureOf(rBytes, (r + challenge(rBytes, publicKey, message) * scalar) % L) };
}

/** The same signature with S replaced by S + L: the equation still holds, but S is not reduced. */
export function withSPlusL(signature: Uint8Array): Uint8Array {
  return signatureOf(signature.slice(0, 32), fromLe(signature.slice(32)) + L);
}

/**
 * A signature whose R is the identity written non-canonically (y = p + 1), S = k·a over those
 * bytes: verifiers that decode R and compare points accept it (with the cofactored equation:
 * ZIP-215); those that compare R's bytes with a re-encoded point (OpenSSL, tweetnacl) do not.
 */
export function nonCanonicalRSignature(seed: Uint8Array, message: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array } {
  const { scalar, publicKey } = expandSeed(seed);
  const r = le32(P + 1n);
  return { publicKey, signature: signatureOf(r, (challenge(r, publicKey, message) * scalar) % L) };
}

/**
 * A signature whose R = rB + T has a torsion component (mixed order), under an ordinary key: the
 * cofactored equation holds, the cofactorless one cannot (R differs from [S]B - [k]A by T).
 */
export function mixedOrderRSignature(seed: Uint8Array, message: Uint8Array, torsionIndex = 1): { publicKey: Uint8Array; signature: Uint8Array } {
  const { scalar, prefix, publicKey } = expandSeed(seed);
  const r = fromLe(sha512(concat(prefix, message))) % L;
  const rBytes = B.multiply(r).add(torsionPoint(torsionIndex)).toBytes();
  return { publicKey, signature: signatureOf(rBytes, (r + challenge(rBytes, publicKey, message) * scalar) % L) };
}

/**
 * A forgery under a small-order key A (nobody knows a secret for it): R = identity, S = 0 meets the
 * cofactorless equation whenever [k]A = O. The message is `prefix` followed by the first counter
 * byte that makes it so; returned with the signature.
 */
export function smallOrderKeyForgery(publicKey: Uint8Array, prefix: Uint8Array): { message: Uint8Array; signature: Uint8Array } {
  const point = Point.fromBytes(publicKey, true);
  const order = BigInt(smallOrder(point));
  const r = hex(ED25519_TORSION_SUBGROUP[0]!);
  for (let counter = 0; counter < 256; counter++) {
    const message = concat(prefix, Uint8Array.of(counter));
    if (challenge(r, publicKey, message) % order === 0n) return { message, signature: signatureOf(r, 0n) };
  }
  throw new Error('no message found');
}
