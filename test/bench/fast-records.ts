/**
 * Signed identity and group records made with Node's crypto (OpenSSL), for seeding benchmarks and
 * load tests quickly: tweetnacl would spend minutes on 100,000 signatures. Same protocol
 * functions, same records.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { groupSigningInput, type GroupMember, type GroupRecord, type UnsignedGroupRecord } from '../../src/protocol/group.js';
import { identitySigningInput, type IdentityRecord, type UnsignedIdentityRecord } from '../../src/protocol/identity.js';
import { boundPeersId, newPeersId } from '../../src/protocol/ids.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp } from '../../src/protocol/time.js';

export interface FastKey {
  publicKey: string;
  privateKey: KeyObject;
}

// Keys from generateKeyPairSync with the public key exported as SPKI DER (RFC 8410) by the key
// generation itself: importing a random seed as PKCS#8 DER (createPrivateKey) costs about 1 ms in
// OpenSSL 3's decoders, four times the generation, and seeding 100,000 identities takes three keys
// each. Not a JWK export: in Node 20 that can deadlock when garbage collection runs mid-export.
function newKey(type: 'ed25519' | 'x25519'): { privateKey: KeyObject; publicKey: string } {
  // With only publicKeyEncoding, Node returns that key encoded and the private one as a KeyObject; its types have no such overload.
  const generate = generateKeyPairSync as unknown as (type: string, options: object) => { privateKey: KeyObject; publicKey: Buffer };
  const { privateKey, publicKey } = generate(type, { publicKeyEncoding: { type: 'spki', format: 'der' } });
  return { privateKey, publicKey: toBase64Url(new Uint8Array(publicKey.subarray(publicKey.length - 32))) };
}

export function fastSigningKey(): FastKey {
  return newKey('ed25519');
}

export function fastBoxKey(): string {
  return newKey('x25519').publicKey;
}

function signed(unsigned: UnsignedIdentityRecord, signing: FastKey, signer: FastKey): IdentityRecord {
  const message = identitySigningInput(unsigned);
  return {
    ...unsigned,
    publicKeyProof: toBase64Url(sign(null, message, signing.privateKey)),
    sig: toBase64Url(sign(null, message, signer.privateKey)),
  };
}

export interface FastIdentity {
  signing: FastKey;
  rotation: FastKey;
  head: IdentityRecord;
}

export function fastGenesis(): FastIdentity {
  const signing = fastSigningKey();
  const rotation = fastSigningKey();
  const head = signed(
    {
      type: 'identity',
      userId: boundPeersId('user', rotation.publicKey), // self-certifying: the rotation key signs the genesis
      seq: 0,
      prev: null,
      publicKey: signing.publicKey,
      publicBoxKey: fastBoxKey(),
      rotationKeys: [rotation.publicKey],
      status: 'active',
      createdAt: formatTimestamp(Date.now()),
      signer: rotation.publicKey,
    },
    signing,
    rotation,
  );
  return { signing, rotation, head };
}

/** A rotation to a new signing key, signed by the identity's rotation key. */
export function fastRotation(identity: FastIdentity): IdentityRecord {
  const signing = fastSigningKey();
  const { sig: _sig, publicKeyProof: _proof, ...previous } = identity.head;
  return signed(
    {
      ...previous,
      seq: identity.head.seq + 1,
      prev: recordHash(identity.head),
      publicKey: signing.publicKey,
      createdAt: formatTimestamp(Math.max(Date.now(), Date.parse(identity.head.createdAt) + 1)),
    },
    signing,
    identity.rotation,
  );
}

/** 499 members besides a founder: random ids and keys (members need not be registered). */
export function fastMembers(count: number): GroupMember[] {
  return Array.from({ length: count }, () => ({ userId: newPeersId(), publicKey: fastSigningKey().publicKey, publicBoxKey: fastBoxKey(), role: 'reader' as const }));
}

/**
 * A group genesis founded by `founder` (a registered identity, listed first as founder) with
 * `others` as members, created at `createdAt` (ms): a self-certifying groupId, so two groups of
 * one founder need distinct times.
 */
export function fastGroupGenesis(founder: FastIdentity, name: string, others: GroupMember[], createdAt: number): GroupRecord {
  const unsigned: UnsignedGroupRecord = {
    type: 'group',
    groupId: boundPeersId('group', founder.signing.publicKey, createdAt),
    seq: 0,
    prev: null,
    name,
    members: [{ userId: founder.head.userId, publicKey: founder.signing.publicKey, publicBoxKey: founder.head.publicBoxKey, role: 'founder' }, ...others],
    createdAt: formatTimestamp(createdAt),
    adminId: founder.head.userId,
    signer: founder.signing.publicKey,
  };
  return { ...unsigned, sig: toBase64Url(sign(null, groupSigningInput(unsigned), founder.signing.privateKey)) };
}
