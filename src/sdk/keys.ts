/**
 * Key pairs. Secret keys stay with the caller: nothing in the SDK sends or stores them.
 */
import nacl from 'tweetnacl';
import { bytesEqual, fromBase64Url, toBase64Url } from '../protocol/encoding.js';
import type { SignMessage } from '../protocol/signing.js';
import { RFC8032_TEST_2 } from './crypto.js';

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

/** PKCS #8 of an Ed25519 private key (RFC 8410 §7): these 16 bytes, then the 32-byte seed. */
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

function importSigningKey(subtle: SubtleCrypto, seed: Uint8Array, extractable = false): Promise<CryptoKey> {
  return subtle.importKey('pkcs8', new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]), { name: 'Ed25519' }, extractable, ['sign']);
}

let ed25519Signing: Promise<SubtleCrypto | null> | null = null;

/**
 * WebCrypto, where its Ed25519 signs (Node 20, current browsers) and gives RFC 8032's own
 * signature for TEST 2 (checked once); else null, and tweetnacl signs (many times slower).
 */
function webCryptoSigning(): Promise<SubtleCrypto | null> {
  ed25519Signing ??= (async () => {
    const subtle = (globalThis.crypto as Crypto | undefined)?.subtle;
    if (subtle === undefined) return null;
    try {
      const key = await importSigningKey(subtle, fromBase64Url(RFC8032_TEST_2.seed, 32)!);
      const signature = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, RFC8032_TEST_2.message));
      return toBase64Url(signature) === RFC8032_TEST_2.signature ? subtle : null;
    } catch {
      return null; // no Ed25519 in this WebCrypto
    }
  })();
  return ed25519Signing;
}

/** A secret key as WebCrypto holds it, or null where tweetnacl signs it; and the SHA-512 of the bytes it was made from. */
interface ImportedKey {
  key: Promise<CryptoKey | null>;
  digest: Uint8Array;
}

/**
 * Each secret key's import, kept for the life of its array. Keyed by the array, which a caller may
 * overwrite in place: tweetnacl would then sign with the new bytes, so the import is used only while
 * it was made from the bytes read at this call (compared by their SHA-512, so no plain copy of the
 * secret stays here; an import costs far more).
 */
const importedKeys = new WeakMap<Uint8Array, ImportedKey>();

function importedKey(subtle: SubtleCrypto, owner: Uint8Array, secretKey: Uint8Array): Promise<CryptoKey | null> {
  const digest = nacl.hash(secretKey);
  const cached = importedKeys.get(owner);
  if (cached !== undefined && bytesEqual(cached.digest, digest)) return cached.key;
  const key = webCryptoKey(subtle, secretKey).catch(() => null);
  importedKeys.set(owner, { key, digest });
  return key;
}

/**
 * tweetnacl's 64-byte secret key is the seed and the public key, and it signs with the public key
 * it is given; WebCrypto derives it from the seed. So WebCrypto signs only a secret key whose two
 * halves agree (every key pair the SDK makes): for any other, the signature would differ. The
 * public key is compared through a throwaway extractable import; the key kept cannot be exported.
 */
async function webCryptoKey(subtle: SubtleCrypto, secretKey: Uint8Array): Promise<CryptoKey | null> {
  const seed = secretKey.subarray(0, 32);
  const { x } = await subtle.exportKey('jwk', await importSigningKey(subtle, seed, true));
  return x === toBase64Url(secretKey.subarray(32)) ? importSigningKey(subtle, seed) : null;
}

/** Signs `message` with `secretKey`, both read when the signature was asked for; `owner` is the caller's array. */
async function signWithBytes(message: Uint8Array, secretKey: Uint8Array, owner: Uint8Array): Promise<Uint8Array> {
  const subtle = await webCryptoSigning();
  const webKey = subtle === null ? null : await importedKey(subtle, owner, secretKey);
  if (subtle === null || webKey === null) return nacl.sign.detached(message, secretKey);
  return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, webKey, message as Uint8Array<ArrayBuffer>));
}

/**
 * A signing function over a key pair, in the form the protocol's signing helpers take. WebCrypto
 * signs where it can, tweetnacl elsewhere: Ed25519 is deterministic, so the signature is the same.
 * It reads `key.secretKey` and the message when called, as tweetnacl does (changing either while
 * the signature is under way changes nothing). Arguments tweetnacl refuses (a secret
 * key not of 64 bytes, a message or key that is not a Uint8Array) throw its error synchronously.
 */
export function signerFor(key: SigningKeyPair): SignMessage {
  return (message) => {
    const { secretKey } = key;
    if (!(message instanceof Uint8Array) || !(secretKey instanceof Uint8Array) || secretKey.length !== nacl.sign.secretKeyLength) {
      return nacl.sign.detached(message, secretKey); // throws
    }
    return signWithBytes(message.slice(), secretKey.slice(), secretKey);
  };
}

export function publicKeyBytes(key: { publicKey: string }): Uint8Array {
  const bytes = fromBase64Url(key.publicKey, 32);
  if (bytes === null) throw new TypeError('not a 32-byte base64url public key');
  return bytes;
}
