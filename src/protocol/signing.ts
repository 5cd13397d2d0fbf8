/**
 * Signing inputs and record hashes (DESIGN.md §1). Every signature in the protocol is over
 * `UTF-8("peerkeys:v1:" + type + "\n") || JCS(record without its signature fields)`: the prefix
 * keeps a signature made for one purpose from being replayed for another.
 */
import { isReducedScalar } from './ed25519.js';
import { toBase64Url, utf8 } from './encoding.js';
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
  return utf8(`${SIGNING_PREFIX}${type}\n${canonicalJson(unsigned)}`);
}

/**
 * signingInput of a flat record whose canonical JSON (`canonicalJson(record)`) is `canonical`, its
 * `omit` members string-valued: cut out of that text instead of encoding the record again. JCS
 * writes an object as its members in key order, `"key":value` joined by commas, a string as
 * JSON.stringify writes it (RFC 8785 §3.2.2.2), and escapes every quote inside a string, so a
 * member `"sig":"…"` can start only at the top level of a record whose nested values hold no
 * objects. `record` must be such a record (no object inside it, an array of strings at most): the
 * cut is then exactly what signingInput encodes. A member not found once, between `{` or `,` and
 * `,` or `}`, falls back to encoding the record again.
 */
export function signingInputFromCanonical(type: string, record: Readonly<Record<string, unknown>>, canonical: string, omit: readonly string[]): Uint8Array {
  let unsigned = canonical;
  for (const key of omit) {
    const value = record[key];
    if (typeof value !== 'string') return signingInput(type, record, omit);
    const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    const at = unsigned.indexOf(member);
    const end = at + member.length;
    if (at <= 0 || unsigned.indexOf(member, end) !== -1) return signingInput(type, record, omit);
    const before = unsigned[at - 1];
    const after = unsigned[end];
    if (before === ',' && (after === ',' || after === '}')) unsigned = unsigned.slice(0, at - 1) + unsigned.slice(end);
    else if (before === '{' && after === ',') unsigned = unsigned.slice(0, at) + unsigned.slice(end + 1);
    else if (before === '{' && after === '}') unsigned = '{}';
    else return signingInput(type, record, omit);
  }
  return utf8(`${SIGNING_PREFIX}${type}\n${unsigned}`);
}

/** The canonical bytes of a whole record, signatures included. */
export function canonicalBytes(record: object): Uint8Array {
  return utf8(canonicalJson(record));
}

/** A record's hash: base64url(SHA-256(JCS(record including "sig"))). */
export function recordHash(record: object): string {
  return canonicalRecordHash(canonicalJson(record));
}

/** recordHash of the record whose canonical JSON is `canonical`, without encoding it again (ledger/entry-kind.ts, Write.hash). */
export function canonicalRecordHash(canonical: string): string {
  return toBase64Url(canonicalRecordDigest(canonical));
}

/**
 * The SHA-256 digest that canonicalRecordHash spells in base64url: a write's Write.digest, and the
 * `recordHash` a key map value holds (protocol/key-map-fold.ts, DESIGN.md §5.2).
 */
export function canonicalRecordDigest(canonical: string): Uint8Array {
  return sha256(utf8(canonical));
}

/**
 * RFC 8032 §5.1.7 requires S < L. tweetnacl skips that check while OpenSSL and WebCrypto make it;
 * the full rule for signatures (R too) is ed25519SignatureDefect in ed25519.ts.
 */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  return signature.length === 64 && isReducedScalar(signature.subarray(32));
}
