/**
 * Peers ids (DESIGN.md §1): 25 characters of [0-9a-z] — 10 of base36 milliseconds since the
 * epoch, zero-padded, then 15 more base36 characters.
 *
 * A user or group id is *self-certifying* when those 15 characters are derived from the key that
 * signed the chain's genesis: then nobody but the holder of that key can register a genesis for
 * the id, however early the id leaks. Whether a registry insists on it is its admission policy
 * (server/admission-policy.ts); whether an id is bound is a fact any client can check from the genesis.
 *
 * Derivation, byte for byte (DESIGN.md §1 is the normative text; test/vectors/ids.json the
 * known answers):
 *   input  = UTF-8(domain) || ASCII(T) || K
 *            domain "peerkeys:v1:user-id\n" for identities, "peerkeys:v1:group-id\n" for groups;
 *            T the id's 10-character time prefix; K the raw 32 bytes of the genesis' `signer`
 *   n      = the first 16 bytes of SHA-256(input), as a big-endian unsigned integer
 *   suffix = n mod 36^15 in base36 (0-9a-z), left-padded with '0' to 15 characters
 * 2^128 is 1.5 × 10^15 times 36^15, so the reduction's bias is below 10^-15 per value.
 */
import { fromBase64Url, utf8 } from './encoding.js';
import { sha256 } from './hash.js';

export const PEERS_ID_PATTERN = /^[0-9a-z]{25}$/;

export function isPeersId(text: string): boolean {
  return PEERS_ID_PATTERN.test(text);
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** The 10-character time prefix of an id made at `now` (ms since the epoch). */
export function idTimePrefix(now: number): string {
  return now.toString(36).padStart(10, '0').slice(-10);
}

/**
 * A new Peers id with a random suffix, from a cryptographic random source (WebCrypto, present in
 * Node 20 and browsers). For device ids; user and group ids are made with `boundPeersId`.
 */
export function newPeersId(now: number = Date.now()): string {
  let random = '';
  // Rejection sampling keeps every character uniform: 252 is the largest multiple of 36 below 256.
  while (random.length < 15) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      if (byte < 252 && random.length < 15) random += ALPHABET[byte % 36];
    }
  }
  return idTimePrefix(now) + random;
}

/** What an id names: an identity chain or a group chain. Each has its own hash domain. */
export type IdKind = 'user' | 'group';

/** The domain-separation prefixes of the id derivation. */
export const ID_DOMAINS: Readonly<Record<IdKind, string>> = { user: 'peerkeys:v1:user-id\n', group: 'peerkeys:v1:group-id\n' };

/** Whether an id is derived from the key that signed its genesis (`self-certifying`) or not (`unbound`). */
export type IdBinding = 'self-certifying' | 'unbound';

const SUFFIX_MODULUS = 36n ** 15n;

/** The 15-character suffix a self-certifying id of `kind` with time prefix `timePrefix` has for genesis signer `key` (32 raw bytes). */
export function boundIdSuffix(kind: IdKind, timePrefix: string, key: Uint8Array): string {
  if (!/^[0-9a-z]{10}$/.test(timePrefix)) throw new TypeError('the time prefix is 10 characters of [0-9a-z]');
  if (key.length !== 32) throw new TypeError('the genesis key is 32 bytes');
  const domain = utf8(ID_DOMAINS[kind]);
  const input = new Uint8Array(domain.length + 10 + 32);
  input.set(domain);
  input.set(utf8(timePrefix), domain.length);
  input.set(key, domain.length + 10);
  const digest = sha256(input);
  let n = 0n;
  for (const byte of digest.subarray(0, 16)) n = (n << 8n) | BigInt(byte);
  return (n % SUFFIX_MODULUS).toString(36).padStart(15, '0');
}

/**
 * A self-certifying id for a chain whose genesis `signerKey` (base64url Ed25519 public key)
 * signs, made at `now`: what the SDK gives new identities and groups.
 */
export function boundPeersId(kind: IdKind, signerKey: string, now: number = Date.now()): string {
  const key = fromBase64Url(signerKey, 32);
  if (key === null) throw new TypeError('the signer key is not 32 bytes of base64url');
  const prefix = idTimePrefix(now);
  return prefix + boundIdSuffix(kind, prefix, key);
}

/**
 * Whether `id` is bound to the genesis signed by `signerKey`. Any input that is not a Peers id and
 * a 32-byte base64url key is simply `unbound`: this runs on attacker-controlled records.
 */
export function idBinding(kind: IdKind, id: string, signerKey: string): IdBinding {
  const key = fromBase64Url(signerKey, 32);
  if (!isPeersId(id) || key === null) return 'unbound';
  return boundIdSuffix(kind, id.slice(0, 10), key) === id.slice(10) ? 'self-certifying' : 'unbound';
}

/** The binding of an identity's userId, from its genesis record. */
export function userIdBinding(genesis: { userId: string; signer: string }): IdBinding {
  return idBinding('user', genesis.userId, genesis.signer);
}

/** The binding of a group's groupId, from its genesis record (bound to the founding admin's key, its `signer`). */
export function groupIdBinding(genesis: { groupId: string; signer: string }): IdBinding {
  return idBinding('group', genesis.groupId, genesis.signer);
}
