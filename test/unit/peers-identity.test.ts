// Peers identities (DESIGN.md §10.3): the box key derived from the signing key as ed2curve derives
// it, checked against an independent computation, and Peers secret keys read as tweetnacl makes them.
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import { boxKeyBinding, derivedBoxKey } from '../../src/protocol/box-key.js';
import { toBase64, toBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createPeersGenesis, generatePeersIdentityKeys, peersBoxKeyPair, peersIdentityFromSecretKey } from '../../src/sdk/peers-identity.js';

const P = 2n ** 255n - 19n;

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/** ed2curve's convertPublicKey, written from the formula: u = (1 + y) / (1 − y) mod p. */
function montgomeryU(edwards: Uint8Array): Uint8Array {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? edwards[i]! & 0x7f : edwards[i]!);
  const u = (((1n + y) % P) * power((P + 1n - y) % P, P - 2n)) % P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** ed2curve's convertSecretKey: the first 32 bytes of SHA-512(seed), clamped. */
function montgomerySecret(seed: Uint8Array): Uint8Array {
  const d = new Uint8Array(createHash('sha512').update(seed).digest()).slice(0, 32);
  d[0]! &= 248;
  d[31]! &= 127;
  d[31]! |= 64;
  return d;
}

describe('the derived box key', () => {
  it('is u = (1 + y) / (1 − y) of the signing key, and the public half of the derived secret', () => {
    for (let i = 0; i < 20; i++) {
      const pair = nacl.sign.keyPair();
      const expected = toBase64Url(montgomeryU(pair.publicKey));
      expect(derivedBoxKey(toBase64Url(pair.publicKey))).toBe(expected);
      expect(toBase64Url(nacl.scalarMult.base(montgomerySecret(pair.secretKey.slice(0, 32))))).toBe(expected);
      const box = peersBoxKeyPair({ publicKey: toBase64Url(pair.publicKey), secretKey: pair.secretKey });
      expect(box.publicKey).toBe(expected);
      expect(toBase64Url(box.secretKey)).toBe(toBase64Url(montgomerySecret(pair.secretKey.slice(0, 32))));
    }
  });

  it('is a usable box key: what is boxed to it opens with the secret Peers would derive', () => {
    const peers = nacl.sign.keyPair();
    const box = peersBoxKeyPair({ publicKey: toBase64Url(peers.publicKey), secretKey: peers.secretKey });
    const sender = nacl.box.keyPair();
    const nonce = nacl.randomBytes(24);
    const sealed = nacl.box(new TextEncoder().encode('hi'), nonce, montgomeryU(peers.publicKey), sender.secretKey);
    expect(nacl.box.open(sealed, nonce, sender.publicKey, box.secretKey)).not.toBeNull();
  });

  it('binding: derived for derived keys, independent otherwise (and for what is no key)', () => {
    const keys = generatePeersIdentityKeys();
    expect(boxKeyBinding(keys.signing.publicKey, keys.box.publicKey)).toBe('derived');
    expect(keys.rotation.publicKey).not.toBe(keys.signing.publicKey);
    expect(boxKeyBinding(keys.signing.publicKey, generateBoxKeyPair().publicKey)).toBe('independent');
    expect(boxKeyBinding('not a key', keys.box.publicKey)).toBe('independent');
    expect(derivedBoxKey('AAAA')).toBeNull();
  });
});

describe('an existing Peers identity', () => {
  const peers = nacl.sign.keyPair();
  const userId = newPeersId();

  it('is read from its 64-byte secret key, as bytes, Peers’ padded base64 or base64url', () => {
    for (const secret of [peers.secretKey, toBase64(peers.secretKey), toBase64Url(peers.secretKey)]) {
      const identity = peersIdentityFromSecretKey(secret, userId);
      expect(identity.userId).toBe(userId);
      expect(identity.signing.publicKey).toBe(toBase64Url(peers.publicKey));
      expect(identity.box.publicKey).toBe(toBase64Url(montgomeryU(peers.publicKey)));
    }
  });

  it('refuses what is not one: a 32-byte seed, halves that do not belong together, a userId that is no Peers id', () => {
    expect(() => peersIdentityFromSecretKey(peers.secretKey.slice(0, 32), userId)).toThrow(TypeError);
    const mixed = new Uint8Array(64);
    mixed.set(peers.secretKey.slice(0, 32));
    mixed.set(nacl.sign.keyPair().publicKey, 32);
    expect(() => peersIdentityFromSecretKey(mixed, userId)).toThrow(TypeError);
    expect(() => peersIdentityFromSecretKey(peers.secretKey, 'USER-1')).toThrow(TypeError);
    expect(() => peersIdentityFromSecretKey('not base64!', userId)).toThrow(TypeError);
  });

  it('becomes a genesis signed by its own key, with the derived box key and its own userId', async () => {
    const identity = peersIdentityFromSecretKey(peers.secretKey, userId);
    const plain = await createPeersGenesis(identity);
    expect(plain).toMatchObject({ userId, seq: 0, publicKey: identity.signing.publicKey, publicBoxKey: identity.box.publicKey, rotationKeys: [identity.signing.publicKey], signer: identity.signing.publicKey });
    const recovery = generateSigningKeyPair();
    const guarded = await createPeersGenesis(identity, { recoveryKey: recovery, name: 'Peers user' });
    expect(guarded.rotationKeys).toEqual([recovery.publicKey, identity.signing.publicKey]);
    expect(guarded.signer).toBe(identity.signing.publicKey);
  });
});
