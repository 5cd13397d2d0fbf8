/**
 * The keys of one identity, and which to keep where (see the README's "Keys" section):
 * - `signing`: the daily signing key (Peers: publicKey). Signs device records, messages and the
 *   handshake. Kept on the device.
 * - `box`: the X25519 box key (Peers: publicBoxKey). Kept on the device.
 * - `rotation`: authorises routine updates (new signing key, new devices). Kept on the device or in
 *   the user's password manager; the weakest rotation key.
 * - `recovery`: the strongest rotation key. Kept offline (printed, or on another device). It can
 *   overrule anything signed with `rotation` within 72 hours: the way back after a theft.
 */
import { generateBoxKeyPair, generateSigningKeyPair, type BoxKeyPair, type SigningKeyPair } from './keys.js';
import { createGenesisRecord } from './records.js';
import type { IdentityRecord } from '../protocol/identity.js';

export interface IdentityKeys {
  signing: SigningKeyPair;
  box: BoxKeyPair;
  rotation: SigningKeyPair;
  recovery: SigningKeyPair;
}

/** Makes a fresh set of identity keys from a cryptographic random source. */
export function generateIdentityKeys(): IdentityKeys {
  return { signing: generateSigningKeyPair(), box: generateBoxKeyPair(), rotation: generateSigningKeyPair(), recovery: generateSigningKeyPair() };
}

/** The genesis record for `keys`: rotation keys [recovery, rotation] (strongest first), signed by `rotation`. */
export function createIdentityRecord(keys: IdentityKeys, options: { userId?: string; name?: string; createdAt?: string } = {}): Promise<IdentityRecord> {
  return createGenesisRecord({
    signingKey: keys.signing,
    boxKey: keys.box,
    rotationKeys: [keys.recovery.publicKey, keys.rotation.publicKey],
    signer: keys.rotation,
    ...options,
  });
}
