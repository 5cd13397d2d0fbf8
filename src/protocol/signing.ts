/**
 * Signing inputs and record hashes (DESIGN.md §1). Every signature in the protocol is over
 * `UTF-8("peerkeys:v1:" + type + "\n") || JCS(record without its signature fields)`: the prefix
 * keeps a signature made for one purpose from being replayed for another.
 */
import { concatBytes, toBase64Url, utf8 } from './encoding.js';
import { canonicalJson } from './json.js';
import { sha256 } from './hash.js';

export const SIGNING_PREFIX = 'peerkeys:v1:';

/** Verifies an Ed25519 signature; never throws on attacker input, answers false instead. */
export type VerifySignature = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

/** Makes an Ed25519 signature with a secret key the caller holds. */
export type SignMessage = (message: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** The bytes signed for a record of `type`: the domain prefix and the canonical record without `omit`. */
export function signingInput(type: string, record: object, omit: readonly string[]): Uint8Array {
  // fromEntries defines own properties: assigning would turn a "__proto__" field into a prototype and drop it.
  const unsigned = Object.fromEntries(Object.entries(record).filter(([key]) => !omit.includes(key)));
  return concatBytes(utf8(`${SIGNING_PREFIX}${type}\n`), utf8(canonicalJson(unsigned)));
}

/** The canonical bytes of a whole record, signatures included. */
export function canonicalBytes(record: object): Uint8Array {
  return utf8(canonicalJson(record));
}

/** A record's hash: base64url(SHA-256(JCS(record including "sig"))). */
export function recordHash(record: object): string {
  return toBase64Url(sha256(canonicalBytes(record)));
}

/** The Ed25519 group order L (RFC 8032 §5.1). */
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * RFC 8032 §5.1.7 requires S < L. tweetnacl skips that check while OpenSSL and WebCrypto make it,
 * so every verifier here checks it first: all back ends then give the same answer, and a
 * signature cannot be re-encoded into a second valid one (malleability).
 */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
  return s < GROUP_ORDER;
}
