/**
 * Records carrying the Ed25519 cases of test/vectors/ed25519/: the SDK builds an honest record,
 * then fields are swapped for a vector's key and the signatures re-made by whatever signer the
 * test chooses (an honest one, or a construction from the vectors). Used by the HTTP tests and by
 * the tests that plant such records in a log.
 */
import nacl from 'tweetnacl';
import type { DeviceRecord, UnsignedDeviceRecord } from '../../src/protocol/device.js';
import { deviceSigningInput } from '../../src/protocol/device.js';
import { identitySigningInput, type IdentityRecord, type UnsignedIdentityRecord } from '../../src/protocol/identity.js';
import type { SigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord } from '../../src/sdk/records.js';
import { forge, type Construction } from '../vectors/ed25519/cases.js';
import { b64url } from './bytes.js';
import { newIdentity, nextRecord, type TestIdentity } from './identities.js';

/** Something that signs: a public key (base64url) and a signing function. */
export interface Signer {
  publicKey: string;
  sign(message: Uint8Array): Uint8Array;
}

export function honestSigner(pair: SigningKeyPair): Signer {
  return { publicKey: pair.publicKey, sign: (message) => nacl.sign.detached(message, pair.secretKey) };
}

/** A signer that makes the construction's signatures (its key is the construction's). */
export function constructedSigner(construction: Construction): Signer {
  const made = forge(construction, new Uint8Array(0));
  if (made === null) throw new TypeError(`construction ${construction.kind} cannot sign`);
  return { publicKey: b64url(made.publicKey), sign: (message) => forge(construction, message)!.signature };
}

/**
 * A signer with `pair`'s secret whose signatures have the defect of `construction` (a vector's,
 * or a kind name for the usual parameters): the construction re-made with this key's seed.
 */
export function defectiveSignerFor(pair: SigningKeyPair, construction: Construction | 'small-order-r'): Signer {
  const seed = Buffer.from(pair.secretKey.slice(0, 32)).toString('hex');
  const made: Construction = construction === 'small-order-r' ? { kind: 'small-order-r', seed, torsion: 0 } : ({ ...construction, seed } as Construction);
  const signer = constructedSigner(made);
  if (signer.publicKey !== pair.publicKey) throw new Error(`construction ${made.kind} does not keep the key`);
  return signer;
}

/** A key only (base64url), for the cases nobody can sign for. */
export function keyOnly(publicKeyHex: string): Signer {
  return {
    publicKey: Buffer.from(publicKeyHex, 'hex').toString('base64url'),
    sign: () => new Uint8Array(64),
  };
}

export interface IdentityParts {
  /** Signs publicKeyProof; its key is the record's publicKey. */
  signing?: Signer;
  /** Extra rotation keys, after the identity's own. */
  extraRotationKeys?: string[];
  /** Signs sig; its key must be among the rotation keys (added when it is not). */
  signer?: Signer;
}

/** Re-signs `unsigned` (publicKeyProof by `signing`, sig by `signer`). */
export function signIdentity(unsigned: UnsignedIdentityRecord, signing: Signer, signer: Signer): IdentityRecord {
  const message = identitySigningInput(unsigned);
  return { ...unsigned, publicKeyProof: b64url(signing.sign(message)), sig: b64url(signer.sign(message)) };
}

function withoutSignatures(record: IdentityRecord): UnsignedIdentityRecord {
  const { sig: _sig, publicKeyProof: _proof, ...unsigned } = record;
  return unsigned;
}

/** A new identity whose genesis has `parts` swapped in; the honest identity comes along for its keys. */
export async function genesisWith(parts: IdentityParts): Promise<{ identity: TestIdentity; record: IdentityRecord }> {
  const identity = await newIdentity({ quickKeys: true });
  const honest = withoutSignatures(identity.head);
  const signing = parts.signing ?? honestSigner(identity.signing);
  const signer = parts.signer ?? honestSigner(identity.rotation[identity.rotation.length - 1]!);
  const rotationKeys = [...honest.rotationKeys, ...(parts.extraRotationKeys ?? [])];
  if (!rotationKeys.includes(signer.publicKey)) rotationKeys.push(signer.publicKey);
  const record = signIdentity({ ...honest, publicKey: signing.publicKey, rotationKeys, signer: signer.publicKey }, signing, signer);
  identity.records[0] = record;
  return { identity, record };
}

/** The identity's next record with `parts` swapped in (signer defaults to its weakest rotation key). */
export async function successorWith(identity: TestIdentity, parts: IdentityParts): Promise<IdentityRecord> {
  const honest = withoutSignatures(await nextRecord(identity));
  const signing = parts.signing ?? honestSigner(identity.signing);
  const signer = parts.signer ?? honestSigner(identity.rotation[identity.rotation.length - 1]!);
  const rotationKeys = [...honest.rotationKeys, ...(parts.extraRotationKeys ?? [])];
  return signIdentity({ ...honest, publicKey: signing.publicKey, rotationKeys, signer: signer.publicKey }, signing, signer);
}

/** A device record of the identity, signed by `signer` (its key must be the identity's publicKey to be accepted). */
export async function deviceWith(identity: TestIdentity, signer: Signer): Promise<DeviceRecord> {
  const { sig: _sig, ...unsigned } = await createDeviceRecord({ userId: identity.userId, addresses: ['192.0.2.1:5000'], signingKey: identity.signing });
  const record: UnsignedDeviceRecord = { ...unsigned, signer: signer.publicKey };
  return { ...record, sig: b64url(signer.sign(deviceSigningInput(record))) };
}
