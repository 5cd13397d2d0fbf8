/**
 * The one rule for accepting Ed25519 keys and signatures (DESIGN.md §1, "Ed25519 keys and
 * signatures"), written once for the server, the SDK, the page, the CLI and the mirror.
 *
 * RFC 8032 leaves room: verifiers differ on small-order and mixed-order points, non-canonical
 * encodings, S ≥ L, and the cofactored versus the cofactorless equation (Chalkias, Garillot and
 * Nikolaenko, "Taming the many EdDSAs", 2020; ZIP-215). A public log must hold only what every
 * reasonable verifier accepts, so peerkeys accepts the intersection:
 *
 * - a key A: the canonical encoding (y < p; x = 0 only with the sign bit clear) of a curve point
 *   that is not of small order and lies in the prime-order subgroup ([L]A = O). Checked when a key
 *   is first met and remembered, so each key costs one scalar multiplication per process.
 * - a signature (R, S): R canonically encoded and not of small order, S < L — byte comparisons
 *   only, cheap enough for every signature — and then the back end's cofactorless verification
 *   ([S]B = R + [k]A with R compared as bytes: OpenSSL, WebCrypto, tweetnacl).
 *
 * Whatever passes also passes libsodium (1.0.18 and later, which refuses small-order A and R,
 * non-canonical A and S ≥ L), the cofactored verifiers of ZIP-215 (a cofactorless solution is a
 * cofactored one) and key checks such as libsodium's crypto_sign_ed25519_pk_to_curve25519.
 *
 * Pure and browser-safe: no Node import.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

/** Why a key is refused, in the order the checks run. */
export type Ed25519KeyDefect = 'length' | 'non-canonical-key' | 'key-not-on-curve' | 'small-order-key' | 'mixed-order-key';

/** Why a signature is refused before any curve arithmetic, in the order the checks run. */
export type Ed25519SignatureDefect = 'length' | 'non-canonical-r' | 'small-order-r' | 's-not-reduced';

/** p = 2^255 - 19, little-endian. */
const P_BYTES = littleEndian(2n ** 255n - 19n);
/** The group order L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1), little-endian. */
const L_BYTES = littleEndian(2n ** 252n + 27742317777372353535851937790883648493n);

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Whether the 32-byte little-endian number `a` is below `b` (neither is secret: no constant time needed). */
function lessThan(a: Uint8Array, b: Uint8Array, topMask = 0xff): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 ? a[i]! & topMask : a[i]!;
    if (x !== b[i]!) return x < b[i]!;
  }
  return false;
}

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (h) => parseInt(h, 16));
}

/**
 * Every 32-byte spelling of a point of order 1, 2, 4 or 8: the 8 canonical encodings, plus y = p
 * and y = p + 1 (y ≡ 0 and 1) and the sign bit set on the points with x = 0 (libsodium's list,
 * ge25519_has_small_order). test/unit/ed25519.test.ts derives the list independently.
 */
const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // (0, -1), order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // y = 0, order 4
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0100000000000000000000000000000000000000000000000000000000000080', // non-canonical: x = 0 with the sign bit
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // non-canonical: y = p (≡ 0)
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // non-canonical: y = p + 1 (≡ 1)
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
].map(hexBytes);

/** y = 1 and y = p - 1: the two points with x = 0, whose sign bit must be clear (RFC 8032 §5.1.3). */
const ONE = littleEndian(1n);
const P_MINUS_ONE = littleEndian(2n ** 255n - 20n);

function sameBytes(a: Uint8Array, b: Uint8Array, length = 32): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether 32 bytes are the canonical encoding of an Edwards y with its x sign bit (RFC 8032
 * §5.1.2): y < p, and the sign bit clear when x = 0 (y = ±1). Says nothing about being on the curve.
 */
export function isCanonicalPointEncoding(bytes: Uint8Array): boolean {
  if (bytes.length !== 32 || !lessThan(bytes, P_BYTES, 0x7f)) return false;
  if ((bytes[31]! & 0x80) === 0) return true;
  const y = Uint8Array.from(bytes);
  y[31]! &= 0x7f;
  return !sameBytes(y, ONE) && !sameBytes(y, P_MINUS_ONE);
}

/** Whether 32 bytes spell a point of small order, canonically or not. */
export function isSmallOrderEncoding(bytes: Uint8Array): boolean {
  return bytes.length === 32 && SMALL_ORDER_ENCODINGS.some((e) => sameBytes(e, bytes));
}

/** Whether a 32-byte little-endian scalar is reduced: S < L (RFC 8032 §5.1.7). */
export function isReducedScalar(bytes: Uint8Array): boolean {
  return bytes.length === 32 && lessThan(bytes, L_BYTES);
}

/**
 * The full key check, uncached: null when the key is acceptable. Costs a square root and a
 * scalar multiplication by L in pure JavaScript (about 2 ms); use isAcceptableEd25519Key.
 */
export function ed25519KeyDefect(key: Uint8Array): Ed25519KeyDefect | null {
  if (key.length !== 32) return 'length';
  if (!isCanonicalPointEncoding(key)) return 'non-canonical-key';
  let point: ReturnType<typeof ed25519.Point.fromBytes>;
  try {
    point = ed25519.Point.fromBytes(key, false);
  } catch {
    return 'key-not-on-curve';
  }
  if (point.isSmallOrder()) return 'small-order-key';
  if (!point.isTorsionFree()) return 'mixed-order-key';
  return null;
}

/**
 * Keys found acceptable, in two generations: a key used again moves to the young one, and when the
 * young one is full the old one is dropped. Only acceptable keys are kept, so a flood of bad keys
 * cannot push good ones out any faster than a flood of good ones. Every entry is a 32-character
 * string, so the count bounds the bytes: about 5 MB for the 50,000 keys of both generations.
 */
const GENERATION_SIZE = 25_000;
let young = new Set<string>();
let old = new Set<string>();

function cacheKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** The full check of a key not remembered: ed25519KeyDefect, or a faster implementation of it (useEd25519KeyCheck). */
let fullKeyCheck: (key: Uint8Array) => boolean = (key) => ed25519KeyDefect(key) === null;

/**
 * Makes isAcceptableEd25519Key run `check` on the keys it has not met, instead of ed25519KeyDefect:
 * `check` must answer exactly as `ed25519KeyDefect(key) === null` does (src/node/sodium-key-check.ts,
 * libsodium's crypto_core_ed25519_is_valid_point: about 15 times faster than the pure JavaScript
 * here, which a write of new keys spent most of its time in). Process-wide, like the memory of keys.
 */
export function useEd25519KeyCheck(check: (key: Uint8Array) => boolean): void {
  fullKeyCheck = check;
}

/**
 * Whether a key is acceptable (DESIGN.md §1): canonical, on the curve, not of small order, in the
 * prime-order subgroup. Remembered once found acceptable, so only a key's first check costs.
 */
export function isAcceptableEd25519Key(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  const id = cacheKey(key);
  if (young.has(id)) return true;
  if (!old.has(id) && !fullKeyCheck(key)) return false;
  if (young.size >= GENERATION_SIZE) {
    old = young;
    young = new Set();
  }
  young.add(id);
  return true;
}

/** The byte checks on a signature, null when they pass. The equation is the back end's. */
export function ed25519SignatureDefect(signature: Uint8Array): Ed25519SignatureDefect | null {
  if (signature.length !== 64) return 'length';
  const r = signature.subarray(0, 32);
  if (!isCanonicalPointEncoding(r)) return 'non-canonical-r';
  if (isSmallOrderEncoding(r)) return 'small-order-r';
  if (!isReducedScalar(signature.subarray(32))) return 's-not-reduced';
  return null;
}

/** A back end's own verification, before the rule: it may accept what the rule refuses. */
export type RawVerify<T extends boolean | Promise<boolean>> = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => T;

/**
 * A verifier that applies the rule, then `raw` (which must be a cofactorless verification that
 * compares R's bytes, as OpenSSL, WebCrypto and tweetnacl do). Answers false, never throws, for
 * a key or signature the rule refuses; keeps `raw`'s synchronous or asynchronous answer otherwise.
 */
export function strictEd25519<T extends boolean | Promise<boolean>>(raw: RawVerify<T>): (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => T | false {
  return (publicKey, message, signature) => {
    if (ed25519SignatureDefect(signature) !== null || !isAcceptableEd25519Key(publicKey)) return false;
    return raw(publicKey, message, signature);
  };
}
