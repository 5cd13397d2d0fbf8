/**
 * Peers identities (DESIGN.md §10.3). A Peers user has one Ed25519 key pair — tweetnacl's 64-byte
 * secret key, seed then public key — and a userId made at random; the X25519 box key is derived
 * from the signing key (ed2curve), and Peers hosts compare both keys. This module makes peerkeys
 * identities whose box key is derived that way, and publishes an existing Peers identity as the
 * genesis of a peerkeys chain (which needs a registry that admits any id: `USER_IDS=any`).
 */
import nacl from 'tweetnacl';
import { derivedBoxSecretKey } from '../protocol/box-key.js';
import { bytesEqual, fromBase64, fromBase64Url, toBase64Url } from '../protocol/encoding.js';
import type { IdentityRecord } from '../protocol/identity.js';
import { isPeersId } from '../protocol/ids.js';
import { isValidEd25519PublicKey } from '../protocol/keys.js';
import type { RegistryClient } from './client.js';
import type { IdentityKeys } from './identity-keys.js';
import { generateSigningKeyPair, signingKeyPairFromSeed, type BoxKeyPair, type SigningKeyPair } from './keys.js';
import { createGenesisRecord } from './records.js';
import type { VerifiedReceipt } from './verify.js';

/** An existing Peers identity: its userId and its one key pair, with the derived box key pair. */
export interface PeersIdentity {
  userId: string;
  signing: SigningKeyPair;
  box: BoxKeyPair;
}

/** The box key pair Peers derives from a signing key pair (ed2curve's convertSecretKey, then NaCl box). */
export function peersBoxKeyPair(signing: SigningKeyPair): BoxKeyPair {
  const pair = nacl.box.keyPair.fromSecretKey(derivedBoxSecretKey(signing.secretKey.subarray(0, 32)));
  return { publicKey: toBase64Url(pair.publicKey), secretKey: pair.secretKey };
}

/**
 * Fresh identity keys whose box key is derived from the signing key, as Peers hosts expect; the
 * rotation and recovery keys are independent (README "Keys"). Register them with
 * `createIdentityRecord(keys)`: the userId is self-certifying, as for any new identity.
 */
export function generatePeersIdentityKeys(): IdentityKeys {
  const signing = generateSigningKeyPair();
  return { signing, box: peersBoxKeyPair(signing), rotation: generateSigningKeyPair(), recovery: generateSigningKeyPair() };
}

/** A 64-byte secret key given as bytes, padded standard base64 (Peers' encodeBase64) or unpadded base64url. */
function secretKeyBytes(secretKey: Uint8Array | string): Uint8Array | null {
  if (typeof secretKey !== 'string') return secretKey;
  return fromBase64(secretKey, 64) ?? fromBase64Url(secretKey, 64);
}

/**
 * An existing Peers identity from its userId and its 64-byte NaCl secret key (seed || public key,
 * as tweetnacl's `sign.keyPair()` makes it; bytes, padded base64 or base64url).
 * @throws TypeError when the key is not such a secret key (its second half must be the public key
 * of its first) or breaks the Ed25519 key rule (DESIGN.md §1.1), or the userId is no Peers id.
 */
export function peersIdentityFromSecretKey(secretKey: Uint8Array | string, userId: string): PeersIdentity {
  if (!isPeersId(userId)) throw new TypeError('userId is not a Peers id (25 characters of [0-9a-z])');
  const bytes = secretKeyBytes(secretKey);
  if (bytes === null || bytes.length !== 64) throw new TypeError('a Peers secret key is 64 bytes (seed || public key)');
  const signing = signingKeyPairFromSeed(bytes.slice(0, 32));
  if (!bytesEqual(fromBase64Url(signing.publicKey, 32)!, bytes.subarray(32))) {
    throw new TypeError('the secret key’s second half is not the public key of its seed');
  }
  if (!isValidEd25519PublicKey(bytes.subarray(32))) throw new TypeError('the public key breaks the Ed25519 key rule');
  return { userId, signing, box: peersBoxKeyPair(signing) };
}

export interface PeersGenesisOptions {
  /**
   * A stronger rotation key (public half; keep the secret offline) listed before the Peers key, so
   * that a thief of the Peers key can be overruled within 72 hours (DESIGN.md §2). Without it the
   * Peers key is the only rotation key: whoever holds it holds the identity, as in Peers.
   */
  recoveryKey?: { publicKey: string };
  name?: string;
  createdAt?: string;
}

/**
 * The genesis record that publishes a Peers identity: its userId, its signing key, the derived box
 * key, signed by the Peers key (which is therefore a rotation key). The userId is unbound (it was
 * made at random, not derived from a key), so only a registry with `USER_IDS=any` admits it, and
 * lookups report `idBinding: 'unbound'`.
 */
export function createPeersGenesis(identity: PeersIdentity, options: PeersGenesisOptions = {}): Promise<IdentityRecord> {
  const rotationKeys = options.recoveryKey === undefined ? [identity.signing.publicKey] : [options.recoveryKey.publicKey, identity.signing.publicKey];
  return createGenesisRecord({
    userId: identity.userId,
    signingKey: identity.signing,
    boxKey: identity.box,
    rotationKeys,
    signer: identity.signing,
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
  });
}

/** Publishes a Peers identity's genesis to a registry and verifies the receipt. */
export async function publishPeersIdentity(registry: RegistryClient, identity: PeersIdentity, options: PeersGenesisOptions = {}): Promise<{ record: IdentityRecord; receipt: VerifiedReceipt }> {
  const record = await createPeersGenesis(identity, options);
  return { record, receipt: await registry.register(record) };
}
