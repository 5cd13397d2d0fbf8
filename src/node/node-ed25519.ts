/**
 * Ed25519 through Node's crypto (OpenSSL): much faster than tweetnacl (`npm run bench:sdk`
 * measures both), so it is what the server, the mirror and the CLI verify with. Answers exactly as the
 * SDK's verifiers do: the rule of protocol/ed25519.ts comes first (byte checks on R and S, the key
 * checked once), then OpenSSL's cofactorless verification.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { strictEd25519 } from '../protocol/ed25519.js';
import type { SignMessage } from '../protocol/signing.js';

// DER prefixes for raw 32-byte Ed25519 keys (RFC 8410): SubjectPublicKeyInfo and PKCS#8.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Parsed public keys (parsing costs several verifications' time). Entries are all of one size —
 * measured at about 1.2 KB of OpenSSL memory each, outside the JS heap — so the count bounds the
 * bytes: 2.4 MB at most. Only a key met again soon is a hit (a genesis always brings new keys, and
 * a rotation's signer was parsed only if this process met it recently), so more entries buy few
 * hits: a miss costs one parse, about 20 us, next to the millisecond or more of CPU a write takes.
 */
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 2_000;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('base64url');
  let key = keyCache.get(id);
  if (key === undefined) {
    // From a JWK, not SPKI DER: Node makes an OKP JWK's key from the raw bytes directly, while DER
    // goes through OpenSSL 3's decoders, about ten times slower — and every write brings new keys.
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' });
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** OpenSSL's own answer, without the rule: it accepts small-order R and mixed-order keys. */
function opensslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** Verifies under the rule of DESIGN.md §1; never throws on attacker input. */
export const nodeVerify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean = strictEd25519(opensslVerify);

/** opensslVerify on libuv's thread pool (crypto.verify with a callback; Node copies the bytes for the job). */
function opensslVerifyOnPool(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(null, message, publicKeyObject(publicKey), signature, (error, valid) => resolve(error === null && valid));
    } catch {
      resolve(false);
    }
  });
}

/**
 * nodeVerify, with OpenSSL's equation solved on libuv's thread pool instead of the event loop: the
 * same rule, checked first and synchronously (a signature or key it refuses is false at once, as
 * from nodeVerify), then the same OpenSSL call. For the registry's write path, where the event loop
 * is one core's worth of CPU that every request needs and two verifications were a fifth of a
 * write's time on it (about 0.13 ms each on a busy 2-core machine, against 0.015 ms to hand one to
 * the pool and take its answer back); the pool's threads use the other core.
 */
export const nodeVerifyOnPool: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean> | false = strictEd25519(opensslVerifyOnPool);

/** A signer over a 32-byte Ed25519 seed (the registry's log key). */
export function nodeSigner(seed: Uint8Array): { sign: SignMessage; publicKey: Uint8Array } {
  if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}
