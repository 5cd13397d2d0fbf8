/**
 * Building and signing records as DESIGN.md §2–3 define them. These only sign: submitting is the
 * RegistryClient's job.
 */
import { toBase64Url } from '../protocol/encoding.js';
import type { DeviceRecord, UnsignedDeviceRecord } from '../protocol/device.js';
import { deviceSigningInput } from '../protocol/device.js';
import type { IdentityRecord, UnsignedIdentityRecord } from '../protocol/identity.js';
import { identitySigningInput } from '../protocol/identity.js';
import { boundPeersId, newPeersId } from '../protocol/ids.js';
import { recordHash } from '../protocol/signing.js';
import { formatTimestamp } from '../protocol/time.js';
import { sealDeviceAddresses } from './device-addresses.js';
import type { BoxKeyPair, SigningKeyPair } from './keys.js';

/**
 * The signing code (tweetnacl), loaded when a record is first signed: RegistryClient imports this
 * module (its recover() signs), and a page that only looks keys up should not have to download
 * tweetnacl for it (docs/sdk.md, "Size").
 */
async function loadSigner(keyPair: SigningKeyPair) {
  return (await import('./keys.js')).signerFor(keyPair);
}

/**
 * Signs an identity record: `publicKeyProof` with the record's own signing key (proof of
 * possession) and `sig` with `signer`, which must be one of the authorising rotation keys.
 */
export async function signIdentityRecord(unsigned: UnsignedIdentityRecord, signingKey: SigningKeyPair, signer: SigningKeyPair): Promise<IdentityRecord> {
  if (unsigned.publicKey !== signingKey.publicKey) throw new TypeError('signingKey does not match the record’s publicKey');
  if (unsigned.signer !== signer.publicKey) throw new TypeError('signer does not match the record’s signer');
  const message = identitySigningInput(unsigned);
  const publicKeyProof = toBase64Url(await (await loadSigner(signingKey))(message));
  const sig = toBase64Url(await (await loadSigner(signer))(message));
  return { ...unsigned, publicKeyProof, sig };
}

export interface GenesisOptions {
  /** The new identity's signing key (Peers: publicKey). */
  signingKey: SigningKeyPair;
  /** The new identity's box key (Peers: publicBoxKey). */
  boxKey: BoxKeyPair | { publicKey: string };
  /** 1..5 public rotation keys, strongest first; they authorise the next record. */
  rotationKeys: string[];
  /** The rotation key that signs the genesis; must be one of `rotationKeys`. The new userId is derived from it. */
  signer: SigningKeyPair;
  /**
   * Defaults to a self-certifying id derived from `signer` and `createdAt` (DESIGN.md §1), which
   * nobody without `signer`'s secret key can register. Pass an existing Peers id only to bring an
   * account made elsewhere to a registry that admits any id (USER_IDS=any); lookups report it as
   * `unbound`.
   */
  userId?: string;
  name?: string;
  /** Defaults to now. */
  createdAt?: string;
}

/**
 * The time an id made for a genesis of `createdAt` carries: that time, or now for a `createdAt`
 * that is no time at all (a test's deliberately broken record still gets a well-formed id).
 */
export function idTimeFor(createdAt: string): number {
  const ms = Date.parse(createdAt);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : Date.now();
}

/** Builds and signs the first record of a new identity. */
export function createGenesisRecord(options: GenesisOptions): Promise<IdentityRecord> {
  const createdAt = options.createdAt ?? formatTimestamp(Date.now());
  const unsigned: UnsignedIdentityRecord = {
    type: 'identity',
    userId: options.userId ?? boundPeersId('user', options.signer.publicKey, idTimeFor(createdAt)),
    seq: 0,
    prev: null,
    publicKey: options.signingKey.publicKey,
    publicBoxKey: options.boxKey.publicKey,
    rotationKeys: options.rotationKeys,
    status: 'active',
    ...(options.name !== undefined ? { name: options.name } : {}),
    createdAt,
    signer: options.signer.publicKey,
  };
  return signIdentityRecord(unsigned, options.signingKey, options.signer);
}

export interface SuccessorOptions {
  /** The record this one follows: the head for an update, an earlier record for a recovery. */
  previous: IdentityRecord;
  /** The signing key the new record names (the same one to keep it, a new one to rotate). */
  signingKey: SigningKeyPair;
  /** Defaults to the previous record's box key. */
  boxKey?: BoxKeyPair | { publicKey: string };
  /** Defaults to the previous record's rotation keys. */
  rotationKeys?: string[];
  /** One of `previous.rotationKeys`. */
  signer: SigningKeyPair;
  status?: 'active' | 'revoked';
  /** Defaults to the previous record's name; `null` removes it. */
  name?: string | null;
  createdAt?: string;
}

/** Builds and signs the record that follows `previous`: a rotation, a revocation or a recovery. */
export function createSuccessorRecord(options: SuccessorOptions): Promise<IdentityRecord> {
  const { previous } = options;
  const name = options.name === undefined ? previous.name : options.name ?? undefined;
  const unsigned: UnsignedIdentityRecord = {
    type: 'identity',
    userId: previous.userId,
    seq: previous.seq + 1,
    prev: recordHash(previous),
    publicKey: options.signingKey.publicKey,
    publicBoxKey: options.boxKey?.publicKey ?? previous.publicBoxKey,
    rotationKeys: options.rotationKeys ?? previous.rotationKeys,
    status: options.status ?? 'active',
    ...(name !== undefined ? { name } : {}),
    createdAt: options.createdAt ?? laterThan(previous.createdAt),
    signer: options.signer.publicKey,
  };
  return signIdentityRecord(unsigned, options.signingKey, options.signer);
}

/** Now, or 1 ms after `previous` if the clock has not moved past it (records must be later). */
function laterThan(previous: string): string {
  return formatTimestamp(Math.max(Date.now(), Date.parse(previous) + 1));
}

export interface DeviceOptions {
  userId: string;
  deviceId?: string;
  addresses: string[];
  /**
   * Addresses only `recipients` (box keys, e.g. a group's members or the user's contacts) can read;
   * the registry stores them sealed (DESIGN.md §3.1).
   */
  sealedAddresses?: { addresses: string[]; recipients: string[] };
  name?: string;
  status?: 'active' | 'revoked';
  updatedAt?: string;
  expiresAt?: string;
  /** The user's current signing key. */
  signingKey: SigningKeyPair;
}

/** Builds and signs a device record with the user's current signing key. */
export async function createDeviceRecord(options: DeviceOptions): Promise<DeviceRecord> {
  const deviceId = options.deviceId ?? newPeersId();
  const unsigned: UnsignedDeviceRecord = {
    type: 'device',
    userId: options.userId,
    deviceId,
    addresses: options.addresses,
    ...(options.sealedAddresses !== undefined ? { sealedAddresses: sealDeviceAddresses({ userId: options.userId, deviceId, ...options.sealedAddresses }) } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    status: options.status ?? 'active',
    updatedAt: options.updatedAt ?? formatTimestamp(Date.now()),
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
    signer: options.signingKey.publicKey,
  };
  const sig = toBase64Url(await (await loadSigner(options.signingKey))(deviceSigningInput(unsigned)));
  return { ...unsigned, sig };
}
