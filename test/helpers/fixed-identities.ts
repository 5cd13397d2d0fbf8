/** Deterministic keys and identity records for unit tests (no randomness, so failures reproduce). */
import { boxKeyPairFromSecretKey, signingKeyPairFromSeed, type BoxKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createGenesisRecord, type GenesisOptions } from '../../src/sdk/records.js';
import type { IdentityChainEntry } from '../../src/protocol/identity-rules.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { recordHash } from '../../src/protocol/signing.js';
import { parseTimestamp } from '../../src/protocol/time.js';

const signingKeys = new Map<number, SigningKeyPair>();

/** The signing key pair whose seed is 32 bytes of `n` (cached: tweetnacl key derivation is slow). */
export function signingKey(n: number): SigningKeyPair {
  let key = signingKeys.get(n);
  if (key === undefined) {
    key = signingKeyPairFromSeed(new Uint8Array(32).fill(n));
    signingKeys.set(n, key);
  }
  return key;
}

/** The box key pair whose secret key is 32 bytes of `n`. */
export function boxKey(n: number): BoxKeyPair {
  return boxKeyPairFromSecretKey(new Uint8Array(32).fill(n));
}

export const USER_ID = '0000000000aaaaaaaaaaaaaaa';
export const T0 = '2026-11-24T21:00:00.000Z';

/** A genesis for USER_ID at T0, signed by key 1 alone (rotation keys [1]) unless told otherwise. */
export function genesis(options: Partial<GenesisOptions> = {}): Promise<IdentityRecord> {
  const signer = options.signer ?? signingKey(1);
  return createGenesisRecord({
    signingKey: signingKey(1),
    boxKey: boxKey(1),
    rotationKeys: [signer.publicKey],
    signer,
    userId: USER_ID,
    createdAt: T0,
    ...options,
  });
}

/** A chain entry as the log would hold it; acceptedAt defaults to the record's own time. */
export function entry(record: IdentityRecord, acceptedAt: number = parseTimestamp(record.createdAt)!): IdentityChainEntry {
  return { record, hash: recordHash(record), acceptedAt };
}
