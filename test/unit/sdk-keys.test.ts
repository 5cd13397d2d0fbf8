import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it, jest } from '@jest/globals';
import { fromBase64Url } from '../../src/protocol/encoding.js';
import { isValidEd25519PublicKey, isValidX25519PublicKey } from '../../src/protocol/keys.js';
import {
  boxKeyPairFromSecretKey,
  generateBoxKeyPair,
  generateSigningKeyPair,
  publicKeyBytes,
  signerFor,
  signingKeyPairFromSeed,
} from '../../src/sdk/keys.js';
import { hex } from '../helpers/bytes.js';
import { expectWith } from '../helpers/expect-with.js';

describe('generateSigningKeyPair', () => {
  it('makes a valid base64url Ed25519 public key and tweetnacl’s 64-byte secret key', () => {
    const pair = generateSigningKeyPair();
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isValidEd25519PublicKey(publicKeyBytes(pair))).toBe(true);
    expect(pair.secretKey).toHaveLength(64);
    expect(pair.secretKey.subarray(32)).toEqual(publicKeyBytes(pair)); // tweetnacl: seed || public key
  });

  it('makes a different key each time', () => {
    expect(generateSigningKeyPair().publicKey).not.toBe(generateSigningKeyPair().publicKey);
  });
});

describe('signingKeyPairFromSeed', () => {
  it('derives the RFC 8032 §7.1 TEST 1 public key', () => {
    const pair = signingKeyPairFromSeed(hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    expect(publicKeyBytes(pair)).toEqual(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'));
  });

  it('is deterministic', () => {
    const seed = new Uint8Array(32).fill(42);
    expect(signingKeyPairFromSeed(seed)).toEqual(signingKeyPairFromSeed(seed));
  });
});

describe('signerFor', () => {
  it('makes the RFC 8032 §7.1 TEST 1 and TEST 2 signatures', async () => {
    const one = signingKeyPairFromSeed(hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    expect(await signerFor(one)(new Uint8Array(0))).toEqual(
      hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
    );
    const two = signingKeyPairFromSeed(hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'));
    expect(await signerFor(two)(hex('72'))).toEqual(
      hex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'),
    );
  });

  it('makes signatures that verify under the public key', async () => {
    const pair = signingKeyPairFromSeed(new Uint8Array(32).fill(5));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), async (message) => {
        expect(nacl.sign.detached.verify(message, await signerFor(pair)(message), publicKeyBytes(pair))).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('signs exactly as tweetnacl does, through WebCrypto where the runtime has Ed25519 (Node does)', async () => {
    const sign = jest.spyOn(globalThis.crypto.subtle, 'sign');
    try {
      const pair = signingKeyPairFromSeed(new Uint8Array(32).fill(6));
      const message = new TextEncoder().encode('a record');
      expect(await signerFor(pair)(message)).toEqual(nacl.sign.detached(message, pair.secretKey));
      expect(sign).toHaveBeenCalled();
    } finally {
      sign.mockRestore();
    }
  });

  it('signs a secret key whose halves disagree (not a pair the SDK makes) as tweetnacl does, with the public key it is given', async () => {
    const [a, b] = [signingKeyPairFromSeed(new Uint8Array(32).fill(7)), signingKeyPairFromSeed(new Uint8Array(32).fill(8))];
    const mixed = { publicKey: b.publicKey, secretKey: new Uint8Array([...a.secretKey.subarray(0, 32), ...b.secretKey.subarray(32)]) };
    const message = new TextEncoder().encode('a record');
    const signature = await signerFor(mixed)(message);
    expect(signature).toEqual(nacl.sign.detached(message, mixed.secretKey));
    expect(signature).not.toEqual(await signerFor(a)(message));
  });

  it('refuses a secret key of the wrong size as tweetnacl does: at once, not in a rejected promise', () => {
    expect(() => signerFor({ publicKey: 'x', secretKey: new Uint8Array(32) })(new Uint8Array(1))).toThrow(/bad secret key size/);
  });

  it('signs with the secret key’s current bytes, as tweetnacl does, when the caller overwrote them since the last signature', async () => {
    const [a, b] = [signingKeyPairFromSeed(new Uint8Array(32).fill(9)), signingKeyPairFromSeed(new Uint8Array(32).fill(10))];
    const pair = { publicKey: a.publicKey, secretKey: a.secretKey.slice() };
    const sign = signerFor(pair);
    const message = new TextEncoder().encode('a record');
    expect(await sign(message)).toEqual(nacl.sign.detached(message, a.secretKey));
    pair.secretKey.set(b.secretKey);
    expect(await sign(message)).toEqual(nacl.sign.detached(message, b.secretKey));
    pair.secretKey.set(a.secretKey.subarray(0, 32)); // a's seed, b's public key: halves that disagree, signed by tweetnacl
    expect(await sign(message)).toEqual(nacl.sign.detached(message, pair.secretKey));
  });

  it('signs the key and message it was called with, as tweetnacl does, when the caller zeroes them before the signature is done', async () => {
    const key = signingKeyPairFromSeed(new Uint8Array(32).fill(12));
    const pair = { publicKey: key.publicKey, secretKey: key.secretKey.slice() };
    const message = new TextEncoder().encode('a record');
    const asked = message.slice();
    const signature = signerFor(pair)(asked);
    pair.secretKey.fill(0);
    asked.fill(0);
    expect(await signature).toEqual(nacl.sign.detached(message, key.secretKey));
  });

  it('keeps the secret key in WebCrypto as a key that cannot be exported', async () => {
    const sign = jest.spyOn(globalThis.crypto.subtle, 'sign');
    try {
      await signerFor(signingKeyPairFromSeed(new Uint8Array(32).fill(11)))(new Uint8Array(1));
      expect(sign).toHaveBeenCalled();
      for (const [, key] of sign.mock.calls) expect(key).toMatchObject({ type: 'private', extractable: false });
    } finally {
      sign.mockRestore();
    }
  });
});

describe('generateBoxKeyPair and boxKeyPairFromSecretKey', () => {
  it('makes a valid X25519 public key', () => {
    const pair = generateBoxKeyPair();
    expect(isValidX25519PublicKey(fromBase64Url(pair.publicKey, 32)!)).toBe(true);
    expect(pair.secretKey).toHaveLength(32);
  });

  it('derives the RFC 7748 §6.1 public keys from their private keys', () => {
    const alice = boxKeyPairFromSecretKey(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    expect(publicKeyBytes(alice)).toEqual(hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'));
    const bob = boxKeyPairFromSecretKey(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(publicKeyBytes(bob)).toEqual(hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'));
  });

  it('rebuilds a generated pair from its secret key', () => {
    const pair = generateBoxKeyPair();
    expect(boxKeyPairFromSecretKey(pair.secretKey).publicKey).toBe(pair.publicKey);
  });
});

describe('publicKeyBytes', () => {
  it('decodes a 32-byte base64url key', () => {
    expect(publicKeyBytes({ publicKey: Buffer.from(new Uint8Array(32).fill(1)).toString('base64url') })).toEqual(new Uint8Array(32).fill(1));
  });

  it('throws a TypeError for anything else', () => {
    for (const publicKey of ['', 'AAAA', `${Buffer.from(new Uint8Array(32)).toString('base64url')}=`, Buffer.from(new Uint8Array(32)).toString('base64')]) {
      expectWith(() => publicKeyBytes({ publicKey }), publicKey).toThrow(TypeError);
    }
  });
});
