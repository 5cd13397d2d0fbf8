import { verify as opensslVerify, createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import { hasCanonicalScalar } from '../../src/protocol/signing.js';
import { nodeSigner, nodeVerify, nodeVerifyOnPool } from '../../src/node/node-ed25519.js';
import { L, SMALL_ORDER_ED25519, fromLe, hex, le32 } from '../helpers/bytes.js';

/** tweetnacl's own verdict (it throws on wrong lengths, which these tests never pass it). */
const naclVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => nacl.sign.detached.verify(message, signature, publicKey);

/** OpenSSL's own verdict, without the rule (a key it cannot import is a refusal). */
function rawOpensslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return opensslVerify(null, message, createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' }), signature);
  } catch {
    return false;
  }
}

// tweetnacl verification costs ~5 ms here (10-20 ms on a busy machine): 625 cases in all by
// default, 2,500 in CI and `npm run test:long` (ED25519_TEST_CASES), in the same proportions.
const CASES = Number(process.env['ED25519_TEST_CASES'] ?? 625);
const RUNS = { correct: Math.ceil(CASES * 0.32), flipped: Math.ceil(CASES * 0.28), otherKey: Math.ceil(CASES * 0.2), random: Math.ceil(CASES * 0.2) };

const signers = [1, 2, 3, 4].map((n) => nodeSigner(new Uint8Array(32).fill(n)));
const signerIndex = fc.integer({ min: 0, max: signers.length - 1 });
const message = fc.uint8Array({ maxLength: 200 });

/** The signature with S replaced by S + L: the same point equation holds, but S is no longer canonical. */
function addL(signature: Uint8Array): Uint8Array {
  const out = Uint8Array.from(signature);
  out.set(le32(fromLe(signature.subarray(32)) + L), 32);
  return out;
}

describe('nodeVerify agrees with tweetnacl', () => {
  it('on correct signatures (both accept)', () => {
    fc.assert(
      fc.property(signerIndex, message, (i, m) => {
        const signer = signers[i]!;
        const signature = signer.sign(m) as Uint8Array;
        expect(nodeVerify(signer.publicKey, m, signature)).toBe(true);
        expect(naclVerify(signer.publicKey, m, signature)).toBe(true);
      }),
      { numRuns: RUNS.correct },
    );
  });

  it('on signatures or messages with one bit flipped (both reject)', () => {
    fc.assert(
      fc.property(signerIndex, message, fc.integer({ min: 0, max: 64 * 8 - 1 }), fc.boolean(), (i, m, bit, inMessage) => {
        const signer = signers[i]!;
        const signature = Uint8Array.from(signer.sign(m) as Uint8Array);
        const changed = Uint8Array.from(m);
        if (inMessage && m.length > 0) changed[(bit >> 3) % m.length]! ^= 1 << (bit & 7);
        else signature[bit >> 3]! ^= 1 << (bit & 7);
        const target = inMessage && m.length > 0 ? changed : m;
        const node = nodeVerify(signer.publicKey, target, signature);
        expect(node).toBe(naclVerify(signer.publicKey, target, signature));
        expect(node).toBe(false);
      }),
      { numRuns: RUNS.flipped },
    );
  });

  it('on signatures made by another key (both reject)', () => {
    fc.assert(
      fc.property(signerIndex, signerIndex, message, (i, j, m) => {
        fc.pre(i !== j);
        const signature = signers[i]!.sign(m) as Uint8Array;
        const node = nodeVerify(signers[j]!.publicKey, m, signature);
        expect(node).toBe(naclVerify(signers[j]!.publicKey, m, signature));
        expect(node).toBe(false);
      }),
      { numRuns: RUNS.otherKey },
    );
  });

  it('on random keys and signatures, most of which do not even decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), message, fc.uint8Array({ minLength: 64, maxLength: 64 }), (key, m, signature) => {
        expect(nodeVerify(key, m, signature)).toBe(naclVerify(key, m, signature));
      }),
      { numRuns: RUNS.random },
    );
  });

  it('on small-order keys with small-order R and S = 0: the raw back ends both accept some forgeries, nodeVerify none', () => {
    // Why the rule of protocol/ed25519.ts comes before any back end: neither refuses these alone.
    let accepted = 0;
    for (const key of SMALL_ORDER_ED25519) {
      for (const r of SMALL_ORDER_ED25519) {
        for (const m of [new Uint8Array([0]), new Uint8Array([1])]) {
          const signature = new Uint8Array(64);
          signature.set(r);
          const raw = rawOpensslVerify(key, m, signature);
          expect(raw).toBe(naclVerify(key, m, signature));
          if (raw) accepted++;
          expect(nodeVerify(key, m, signature)).toBe(false);
        }
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('nodeVerify: the one known divergence, S + L', () => {
  it('rejects a signature whose S was replaced by S + L, which tweetnacl alone accepts', () => {
    for (let n = 0; n < 5; n++) {
      const signer = signers[n % signers.length]!;
      const m = new Uint8Array([n, 1, 2, 3]);
      const malleated = addL(signer.sign(m) as Uint8Array);
      expect(naclVerify(signer.publicKey, m, malleated)).toBe(true); // tweetnacl skips the S < L check
      expect(hasCanonicalScalar(malleated)).toBe(false);
      expect(nodeVerify(signer.publicKey, m, malleated)).toBe(false);
    }
  });

  it('would be rejected by OpenSSL even without the explicit check', () => {
    const signer = signers[0]!;
    const m = new Uint8Array([7]);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), signer.publicKey]);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(opensslVerify(null, m, publicKey, signer.sign(m) as Uint8Array)).toBe(true);
    expect(opensslVerify(null, m, publicKey, addL(signer.sign(m) as Uint8Array))).toBe(false);
  });
});

describe('nodeVerify: never throws', () => {
  it('answers false for wrong lengths and empty input', () => {
    const signer = signers[0]!;
    const m = new Uint8Array([1]);
    const signature = signer.sign(m) as Uint8Array;
    expect(nodeVerify(signer.publicKey.subarray(0, 31), m, signature)).toBe(false);
    expect(nodeVerify(new Uint8Array([...signer.publicKey, 0]), m, signature)).toBe(false);
    expect(nodeVerify(signer.publicKey, m, signature.subarray(0, 63))).toBe(false);
    expect(nodeVerify(signer.publicKey, m, new Uint8Array([...signature, 0]))).toBe(false);
    expect(nodeVerify(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).toBe(false);
  });

  it('answers false for a key that is not a curve point', () => {
    const notAPoint = le32(2n); // y = 2 has no x
    expect(nodeVerify(notAPoint, new Uint8Array([1]), new Uint8Array(64))).toBe(false);
  });
});

/** RFC 8032 §7.1, TESTs 1-3: secret key (seed), public key, message, signature. */
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('nodeSigner', () => {
  it('reproduces the RFC 8032 §7.1 test vectors', async () => {
    for (const vector of RFC8032) {
      const signer = nodeSigner(hex(vector.seed));
      expect(signer.publicKey).toEqual(hex(vector.publicKey));
      expect(await signer.sign(hex(vector.message))).toEqual(hex(vector.signature));
      expect(nodeVerify(hex(vector.publicKey), hex(vector.message), hex(vector.signature))).toBe(true);
    }
  });

  it('derives the same public key as tweetnacl from the same seed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        expect(nodeSigner(seed).publicKey).toEqual(nacl.sign.keyPair.fromSeed(seed).publicKey);
      }),
      { numRuns: 40 },
    );
  });

  it('makes signatures tweetnacl verifies, byte for byte the ones tweetnacl makes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), message, (seed, m) => {
        const signer = nodeSigner(seed);
        const signature = signer.sign(m) as Uint8Array;
        expect(naclVerify(signer.publicKey, m, signature)).toBe(true);
        expect(signature).toEqual(nacl.sign.detached(m, nacl.sign.keyPair.fromSeed(seed).secretKey));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => nodeSigner(new Uint8Array(31))).toThrow(TypeError);
    expect(() => nodeSigner(new Uint8Array(33))).toThrow(TypeError);
    expect(() => nodeSigner(new Uint8Array(64))).toThrow(TypeError);
  });
});

describe('nodeVerifyOnPool (the registry\'s write path) answers as nodeVerify', () => {
  it('on correct, altered, other-key and random signatures, and never throws', async () => {
    const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [];
    for (let i = 0; i < 40; i++) {
      const signer = signers[i % signers.length]!;
      const m = Uint8Array.from({ length: i * 5 }, (_, j) => (i * 31 + j) & 0xff);
      const signature = signer.sign(m) as Uint8Array;
      const flipped = Uint8Array.from(signature);
      flipped[i % 64]! ^= 1 << (i % 8);
      cases.push([signer.publicKey, m, signature], [signer.publicKey, m, flipped], [signers[(i + 1) % signers.length]!.publicKey, m, signature], [signer.publicKey, m, addL(signature)]);
    }
    cases.push([new Uint8Array(32).fill(0xff), new Uint8Array(3), new Uint8Array(64)], [new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)], [signers[0]!.publicKey, new Uint8Array(0), new Uint8Array(63)]);
    for (const small of SMALL_ORDER_ED25519) cases.push([small, new Uint8Array(1), Uint8Array.from([...small, ...new Uint8Array(32)])]);
    const answers = await Promise.all(cases.map(([k, m, s]) => nodeVerifyOnPool(k, m, s)));
    expect(answers).toEqual(cases.map(([k, m, s]) => nodeVerify(k, m, s)));
    expect(answers.filter((a) => a).length).toBe(40);
  });
});
