/**
 * Key pairs. Secret keys stay with the caller: nothing in the SDK sends or stores them.
 */
import nacl from 'tweetnacl';
import { fromBase64Url, toBase64Url } from '../protocol/encoding.js';
import type { SignMessage } from '../protocol/signing.js';

/** An Ed25519 key pair: `publicKey` as base64url, `secretKey` as tweetnacl's 64-byte form. */
export interface SigningKeyPair {
  publicKey: string;
  secretKey: Uint8Array;
}

/** An X25519 key pair for NaCl box. */
export interface BoxKeyPair {
  publicKey: string;
  secretKey: Uint8Array;
}

/** Makes a new Ed25519 signing key pair from a cryptographic random source. */
export function generateSigningKeyPair(): SigningKeyPair {
  const pair = nacl.sign.keyPair();
  return { publicKey: toBase64Url(pair.publicKey), secretKey: pair.secretKey };
}

/** Rebuilds a signing key pair from its 32-byte seed (for keys kept in files or password managers). */
export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  const pair = nacl.sign.keyPair.fromSeed(seed);
  return { publicKey: toBase64Url(pair.publicKey), secretKey: pair.secretKey };
}

/** Makes a new X25519 box key pair. */
export function generateBoxKeyPair(): BoxKeyPair {
  const pair = nacl.box.keyPair();
  return { publicKey: toBase64Url(pair.publicKey), secretKey: pair.secretKey };
}

/** Rebuilds a box key pair from its 32-byte secret key. */
export function boxKeyPairFromSecretKey(secretKey: Uint8Array): BoxKeyPair {
  const pair = nacl.box.keyPair.fromSecretKey(secretKey);
  return { publicKey: toBase64Url(pair.publicKey), secretKey: pair.secretKey };
}

/** A signing function over a key pair, in the form the protocol's signing helpers take. */
export function signerFor(key: SigningKeyPair): SignMessage {
  return (message) => nacl.sign.detached(message, key.secretKey);
}

export function publicKeyBytes(key: { publicKey: string }): Uint8Array {
  const bytes = fromBase64Url(key.publicKey, 32);
  if (bytes === null) throw new TypeError('not a 32-byte base64url public key');
  return bytes;
}
