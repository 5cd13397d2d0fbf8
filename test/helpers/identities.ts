/** Identities with real keys, for tests: the SDK's own record builders, keys kept in the test. */
import { randomBytes } from 'node:crypto';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { generateBoxKeyPair, generateSigningKeyPair, type BoxKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createGenesisRecord, createSuccessorRecord, type SuccessorOptions } from '../../src/sdk/records.js';
import { nodeSigner } from '../../src/node/node-ed25519.js';

export interface TestIdentity {
  signing: SigningKeyPair;
  box: BoxKeyPair;
  /** Strongest first. */
  rotation: SigningKeyPair[];
  records: IdentityRecord[];
  get head(): IdentityRecord;
  get userId(): string;
}

/**
 * An Ed25519 key pair derived by Node's crypto (as the server's signer is), in the SDK's
 * (tweetnacl's) form: a random seed, its public key. 50 times faster than tweetnacl. Not
 * generateKeyPairSync with a JWK export: on Node 20 that can deadlock in a garbage collection.
 */
export function quickSigningKeyPair(): SigningKeyPair {
  const seed = new Uint8Array(randomBytes(32));
  const { publicKey } = nodeSigner(seed);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed);
  secretKey.set(publicKey, 32);
  return { publicKey: Buffer.from(publicKey).toString('base64url'), secretKey };
}

/**
 * A new identity whose genesis the SDK builds, with a self-certifying userId derived from its
 * signer (the weakest rotation key). Its signing keys are made by Node's crypto (keys of the same
 * form, 50 times faster: the suite makes thousands); `quickKeys: false` makes them with the SDK's
 * generateSigningKeyPair. The records are always built and signed by the SDK. `twinOf`: another
 * genesis for the same bound userId — the same rotation keys (so the same signer), fresh signing
 * and box keys — as the owner of that id could make. `userId`: an arbitrary id (unbound, for registries with USER_IDS=any).
 */
export async function newIdentity(
  options: { rotationKeys?: number; name?: string; createdAt?: string; userId?: string; quickKeys?: boolean; twinOf?: TestIdentity } = {},
): Promise<TestIdentity> {
  const signingKeyPair = options.quickKeys === false ? generateSigningKeyPair : quickSigningKeyPair;
  const signing = signingKeyPair();
  const box = generateBoxKeyPair();
  const rotation = options.twinOf?.rotation ?? Array.from({ length: options.rotationKeys ?? 2 }, signingKeyPair);
  const userId = options.userId ?? options.twinOf?.userId;
  const genesis = await createGenesisRecord({
    signingKey: signing,
    boxKey: box,
    rotationKeys: rotation.map((k) => k.publicKey),
    signer: rotation[rotation.length - 1]!,
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
    ...(userId !== undefined ? { userId } : {}),
  });
  const identity: TestIdentity = {
    signing,
    box,
    rotation,
    records: [genesis],
    get head() {
      return identity.records[identity.records.length - 1]!;
    },
    get userId() {
      return genesis.userId;
    },
  };
  return identity;
}

/** The next record after the identity's head; not recorded as accepted until the caller does. */
export function nextRecord(identity: TestIdentity, options: Partial<SuccessorOptions> = {}): Promise<IdentityRecord> {
  return createSuccessorRecord({
    previous: identity.head,
    signingKey: options.signingKey ?? identity.signing,
    signer: options.signer ?? identity.rotation[identity.rotation.length - 1]!,
    ...options,
  });
}
