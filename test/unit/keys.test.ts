import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import { ed25519KeyDefect } from '../../src/protocol/ed25519.js';
import { isValidEd25519PublicKey, isValidX25519PublicKey } from '../../src/protocol/keys.js';
import { P, SMALL_ORDER_ED25519, fromLe, hex, le32 } from '../helpers/bytes.js';

const mod = (a: bigint) => ((a % P) + P) % P;
function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
const inverse = (a: bigint) => pow(a, P - 2n);
/** The edwards25519 constant d = -121665/121666. */
const D = mod(-121665n * inverse(121666n));
/** Whether some x satisfies -x² + y² = 1 + d x² y², i.e. x² = (y² - 1)/(d y² + 1) is a square (Euler's criterion). */
function hasX(y: bigint): boolean {
  const x2 = mod((y * y - 1n) * inverse(D * y * y + 1n));
  return x2 === 0n || pow(x2, (P - 1n) / 2n) === 1n;
}

/** The y of an Ed25519 key encoding (the top bit is x's sign). */
function yOf(encoding: Uint8Array): bigint {
  return fromLe(Uint8Array.from([...encoding.slice(0, 31), encoding[31]! & 0x7f]));
}

/** An Ed25519 public key encoding: y little-endian, x's sign in the top bit. */
function edwardsEncoding(y: bigint, xSign = 0): Uint8Array {
  const bytes = le32(y);
  bytes[31]! |= xSign << 7;
  return bytes;
}

describe('isValidEd25519PublicKey', () => {
  it('accepts freshly generated tweetnacl keys', () => {
    for (let i = 0; i < 20; i++) expect(isValidEd25519PublicKey(nacl.sign.keyPair().publicKey)).toBe(true);
  });

  it('accepts keys derived from arbitrary seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        expect(isValidEd25519PublicKey(nacl.sign.keyPair.fromSeed(seed).publicKey)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('accepts the RFC 8032 §7.1 test vector keys', () => {
    for (const key of [
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    ]) {
      expect(isValidEd25519PublicKey(hex(key))).toBe(true);
    }
  });

  it('rejects the all-zero key', () => {
    expect(isValidEd25519PublicKey(new Uint8Array(32))).toBe(false);
  });

  it('rejects each of the 8 small-order points', () => {
    expect(SMALL_ORDER_ED25519).toHaveLength(8);
    for (const key of SMALL_ORDER_ED25519) expect(isValidEd25519PublicKey(key)).toBe(false);
  });

  it('rejects the other spellings of small-order points (sign bit on x = 0, y >= p)', () => {
    const spellings = [
      edwardsEncoding(1n, 1), // identity with the sign bit set although x = 0
      edwardsEncoding(P - 1n, 1), // the order-2 point, likewise
      edwardsEncoding(P + 1n), // identity, y = 1 + p
      edwardsEncoding(P), // an order-4 point, y = 0 + p
      edwardsEncoding(P, 1),
    ];
    for (const key of spellings) expect(isValidEd25519PublicKey(key)).toBe(false);
  });

  it('is right to reject small-order keys: tweetnacl accepts a forged signature under one', () => {
    // R a small-order point and S = 0: [S]B = R + [h]A holds whenever [h]A = -R, which happens
    // for a fixed fraction of messages when A has small order. Nobody knows a secret key for A.
    const key = SMALL_ORDER_ED25519[1]!; // a point of order 8
    const forged = new Uint8Array(64);
    forged.set(SMALL_ORDER_ED25519[0]!); // R = identity, S = 0
    let message: Uint8Array | undefined;
    for (let i = 0; i < 256 && message === undefined; i++) {
      if (nacl.sign.detached.verify(new Uint8Array([i]), forged, key)) message = new Uint8Array([i]);
    }
    expect(message).toBeDefined();
    expect(isValidEd25519PublicKey(key)).toBe(false);
  });

  it('rejects a non-canonical y >= p even though it names a curve point', () => {
    // y = 3 is on the curve (a point with a torsion component, refused for that); y = 3 + p
    // (< 2^255) names the same point and is refused first for its spelling.
    expect(hasX(3n)).toBe(true);
    expect(ed25519KeyDefect(edwardsEncoding(3n))).toBe('mixed-order-key');
    expect(ed25519KeyDefect(edwardsEncoding(3n, 1))).toBe('mixed-order-key');
    expect(ed25519KeyDefect(edwardsEncoding(3n + P))).toBe('non-canonical-key');
    expect(ed25519KeyDefect(edwardsEncoding(3n + P, 1))).toBe('non-canonical-key');
    expect(isValidEd25519PublicKey(edwardsEncoding(3n + P))).toBe(false);
    // And the largest 255-bit value, 2^255 - 1 = p + 18.
    expect(isValidEd25519PublicKey(edwardsEncoding(2n ** 255n - 1n))).toBe(false);
  });

  it('rejects a y for which no x exists (found by search)', () => {
    const noX: bigint[] = [];
    for (let y = 2n; noX.length < 5; y++) if (!hasX(y)) noX.push(y);
    expect(noX[0]).toBe(2n);
    for (const y of noX) {
      expect(isValidEd25519PublicKey(edwardsEncoding(y))).toBe(false);
      expect(isValidEd25519PublicKey(edwardsEncoding(y, 1))).toBe(false);
    }
  });

  it('answers like the curve equation for every small y', () => {
    // y = 0, 1 and p - 1 are on the curve but of small order; for the others, "on the curve" must match hasX.
    for (let y = 2n; y < 200n; y++) expect(ed25519KeyDefect(edwardsEncoding(y)) === 'key-not-on-curve').toBe(!hasX(y));
  });

  it('rejects a key with a torsion component, although it is not of small order (DESIGN.md §1)', () => {
    // A valid key A of order L plus the order-2 point (0, -1) is (-x, -y), of order 2L. Its holder
    // can sign with it, and verifiers then disagree: cofactored ones accept every signature,
    // cofactorless ones only those with an even k (test/vectors/ed25519: mixed-order-key-t2).
    const valid = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const y = yOf(valid);
    const xSign = valid[31]! >> 7;
    expect(isValidEd25519PublicKey(edwardsEncoding(mod(-y), xSign ^ 1))).toBe(false);
    expect(ed25519KeyDefect(edwardsEncoding(mod(-y), xSign ^ 1))).toBe('mixed-order-key');
  });

  it('rejects wrong lengths', () => {
    const key = nacl.sign.keyPair().publicKey;
    expect(isValidEd25519PublicKey(key.subarray(0, 31))).toBe(false);
    expect(isValidEd25519PublicKey(new Uint8Array([...key, 0]))).toBe(false);
    expect(isValidEd25519PublicKey(new Uint8Array(0))).toBe(false);
    expect(isValidEd25519PublicKey(nacl.sign.keyPair().secretKey)).toBe(false);
  });
});

/**
 * Curve25519 u-coordinates of small order, on the curve or its twist, below p
 * (https://cr.yp.to/ecdh.html#validate; RFC 7748 §6.1). The module keeps its own copy.
 */
const LOW_ORDER_U = [
  0n,
  1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P - 1n,
];

const isZero = (bytes: Uint8Array) => bytes.every((b) => b === 0);

describe('isValidX25519PublicKey', () => {
  it('rejects every low-order u, and each really is low order: X25519 with it gives all zeros', () => {
    for (const u of LOW_ORDER_U) {
      expect(isValidX25519PublicKey(le32(u))).toBe(false);
      for (let i = 0; i < 3; i++) expect(isZero(nacl.scalarMult(nacl.randomBytes(32), le32(u)))).toBe(true);
    }
  });

  it('has the u-coordinates of all small-order Edwards points in its list', () => {
    // The birational map u = (1 + y)/(1 - y); the identity (y = 1) maps to the point at infinity.
    const fromTorsion = new Set<bigint>();
    for (const point of SMALL_ORDER_ED25519) {
      const y = yOf(point);
      if (y !== 1n) fromTorsion.add(mod((1n + y) * inverse(1n - y)));
    }
    expect([...fromTorsion].sort()).toEqual([0n, 1n, LOW_ORDER_U[2]!, LOW_ORDER_U[3]!].sort());
  });

  it('accepts ordinary keys, whose shared secrets are not all zeros', () => {
    for (let i = 0; i < 10; i++) {
      const pair = nacl.box.keyPair();
      expect(isValidX25519PublicKey(pair.publicKey)).toBe(true);
      expect(isZero(nacl.scalarMult(nacl.randomBytes(32), pair.publicKey))).toBe(false);
    }
  });

  it('accepts the base point u = 9 and the RFC 7748 §6.1 public keys', () => {
    expect(isValidX25519PublicKey(le32(9n))).toBe(true);
    expect(isValidX25519PublicKey(hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'))).toBe(true);
    expect(isValidX25519PublicKey(hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'))).toBe(true);
  });

  it('rejects u >= p, including the non-canonical spellings of low-order points', () => {
    const tooBig = [P, P + 1n, P + 9n, P + LOW_ORDER_U[2]!, 2n ** 255n - 1n, 2n ** 255n + 9n, 2n ** 256n - 1n];
    for (const u of tooBig) expect(isValidX25519PublicKey(le32(u))).toBe(false);
    // p and p + 1 are the non-canonical 0 and 1: X25519 (which reduces mod p) gives all zeros with them too.
    expect(isZero(nacl.scalarMult(nacl.randomBytes(32), le32(P)))).toBe(true);
    expect(isZero(nacl.scalarMult(nacl.randomBytes(32), le32(P + 1n)))).toBe(true);
  });

  it('rejects a valid key with the top bit set (RFC 7748 would mask it; we refuse the second spelling)', () => {
    const key = nacl.box.keyPair().publicKey;
    const marked = Uint8Array.from(key);
    marked[31]! |= 0x80;
    expect(isValidX25519PublicKey(key)).toBe(true);
    expect(isValidX25519PublicKey(marked)).toBe(false);
  });

  it('rejects wrong lengths', () => {
    const key = nacl.box.keyPair().publicKey;
    expect(isValidX25519PublicKey(key.subarray(0, 31))).toBe(false);
    expect(isValidX25519PublicKey(new Uint8Array([...key, 0]))).toBe(false);
    expect(isValidX25519PublicKey(new Uint8Array(0))).toBe(false);
  });
});
