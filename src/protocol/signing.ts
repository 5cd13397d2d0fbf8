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
 * signingInput of `record`, whose canonical JSON (`canonicalJson(record)`) is `canonical`, cut out
 * of that text instead of encoding the record again when the cut is sure to be the same bytes, and
 * signingInput itself otherwise. Meant for identity records (encodedIdentitySigningInput): flat,
 * their one array of strings, the omitted members `sig` and `publicKeyProof` strings.
 *
 * JCS writes an object as `{`, its members `"key":value` in key order joined by commas, and `}`, and
 * a string as JSON.stringify does, every `"` inside it as `\"` (RFC 8785 §3.2.2.2). The cut is made
 * only when all of these hold, else the record is encoded again:
 * - The text has no `{` after its first character: no object inside the record, so every key in it
 *   is one of the record's own (a `{` inside a string, say a name, falls back too: safe, rare).
 * - Each omitted member is a string, and `"key":"value"` as JSON.stringify writes them is found in
 *   the text exactly once.
 * - That match starts after `{` or `,` and ends before `,` or `}`. A quote after anything else may
 *   be an escaped one inside a key or string (the key `x"sig` is written `"x\"sig"`).
 * Under the first and last, a match of a plain-named key (letters, as `sig`) is that top-level
 * member: its opening quote is not escaped and is followed by a letter, so it opens a string, a key
 * because a `:` follows. The second is a separate guard: a match found twice is never trusted
 * (test/unit/signing.test.ts holds one case for each rule that only that rule catches).
 */
export function signingInputFromCanonical(type: string, record: Readonly<Record<string, unknown>>, canonical: string, omit: readonly string[]): Uint8Array {
  if (canonical.indexOf('{', 1) !== -1) return signingInput(type, record, omit);
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
