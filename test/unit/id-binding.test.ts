// Self-certifying ids (DESIGN.md §1): the known answers in test/vectors/ids.json (made by an
// independent Python implementation, make-id-vectors.py) replayed by the protocol functions and by
// the SDK's record builders, and the admission policy that refuses unbound ids (server/admission-policy.ts).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, readConfig } from '../../src/config.js';
import { fromBase64Url } from '../../src/protocol/encoding.js';
import { ID_DOMAINS, boundIdSuffix, boundPeersId, groupIdBinding, idBinding, isPeersId, userIdBinding, type IdKind } from '../../src/protocol/ids.js';
import {
  boundPeersId as sdkBoundPeersId,
  createGenesisRecord,
  createGroupGenesis,
  generateBoxKeyPair,
  groupMember,
  idBinding as sdkIdBinding,
  signingKeyPairFromSeed,
} from '../../src/sdk/index.js';
import { admitGroupId, admitUserId } from '../../src/server/admission-policy.js';
import { codeOfSync } from '../helpers/errors.js';

interface ValidVector {
  kind: IdKind;
  note: string;
  seed: string;
  key: string;
  timeMs: number;
  timePrefix: string;
  hashInputHex: string;
  sha256Hex: string;
  first16BytesAsInteger: string;
  id: string;
  createdAt?: string;
}

interface UnboundVector {
  kind: IdKind;
  id: string;
  key: string;
  note: string;
}

const VECTORS = JSON.parse(readFileSync(new URL('../vectors/ids.json', import.meta.url), 'utf8')) as { valid: ValidVector[]; unbound: UnboundVector[] };
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
/** Base36 text as an exact integer (parseInt loses precision past 2^53). */
const base36 = (text: string) => [...text].reduce((n, c) => n * 36n + BigInt(parseInt(c, 36)), 0n);

describe('the id derivation, against the known answers', () => {
  it('has vectors of both kinds, a zero-padded suffix and the extreme time prefixes', () => {
    expect(new Set(VECTORS.valid.map((v) => v.kind))).toEqual(new Set(['user', 'group']));
    expect(VECTORS.valid.some((v) => v.id[10] === '0')).toBe(true);
    expect(VECTORS.valid.map((v) => v.timePrefix)).toEqual(expect.arrayContaining(['0000000000', 'zzzzzzzzzz']));
  });

  it.each(VECTORS.valid.map((v) => [v.note, v] as const))('%s', (_note, vector) => {
    // The hash input is exactly domain || time prefix || raw key.
    expect(Buffer.from(vector.hashInputHex, 'hex').toString('latin1').startsWith(ID_DOMAINS[vector.kind])).toBe(true);
    expect(hex(vector.hashInputHex).subarray(-32)).toEqual(fromBase64Url(vector.key, 32));
    expect(boundIdSuffix(vector.kind, vector.timePrefix, fromBase64Url(vector.key, 32)!)).toBe(vector.id.slice(10));
    expect(BigInt(vector.first16BytesAsInteger) % 36n ** 15n).toBe(base36(vector.id.slice(10)));
    expect(BigInt(`0x${vector.sha256Hex.slice(0, 32)}`)).toBe(BigInt(vector.first16BytesAsInteger));
    expect(boundPeersId(vector.kind, vector.key, vector.timeMs)).toBe(vector.id);
    expect(idBinding(vector.kind, vector.id, vector.key)).toBe('self-certifying');
    expect(isPeersId(vector.id)).toBe(true);
  });

  it.each(VECTORS.unbound.map((v) => [v.note, v] as const))('unbound: %s', (_note, vector) => {
    expect(idBinding(vector.kind, vector.id, vector.key)).toBe('unbound');
  });
});

describe('the SDK, against the same answers', () => {
  it.each(VECTORS.valid.map((v) => [v.note, v] as const))('%s', async (_note, vector) => {
    expect(sdkBoundPeersId(vector.kind, vector.key, vector.timeMs)).toBe(vector.id);
    expect(sdkIdBinding(vector.kind, vector.id, vector.key)).toBe('self-certifying');
    if (vector.createdAt === undefined) return; // no record can carry that time
    const key = signingKeyPairFromSeed(hex(vector.seed));
    expect(key.publicKey).toBe(vector.key);
    if (vector.kind === 'user') {
      // The vector's key signs the genesis: the record builder derives the vector's id.
      const genesis = await createGenesisRecord({ signingKey: key, boxKey: generateBoxKeyPair(), rotationKeys: [key.publicKey], signer: key, createdAt: vector.createdAt });
      expect(genesis.userId).toBe(vector.id);
      expect(userIdBinding(genesis)).toBe('self-certifying');
    } else {
      const member = groupMember({ userId: '0000000000founderxxxxxxxx', publicKey: key.publicKey, publicBoxKey: generateBoxKeyPair().publicKey }, 'founder');
      const genesis = await createGroupGenesis({ name: 'Vectors', members: [member], signer: { userId: member.userId, signingKey: key }, createdAt: vector.createdAt });
      expect(genesis.groupId).toBe(vector.id);
      expect(groupIdBinding(genesis)).toBe('self-certifying');
    }
  });

  it('binds an identity to the key that signs its genesis, not to the first rotation key', async () => {
    const [strong, weak] = [signingKeyPairFromSeed(new Uint8Array(32).fill(11)), signingKeyPairFromSeed(new Uint8Array(32).fill(12))];
    const genesis = await createGenesisRecord({ signingKey: strong, boxKey: generateBoxKeyPair(), rotationKeys: [strong.publicKey, weak.publicKey], signer: weak });
    expect(userIdBinding(genesis)).toBe('self-certifying');
    expect(idBinding('user', genesis.userId, weak.publicKey)).toBe('self-certifying');
    expect(idBinding('user', genesis.userId, strong.publicKey)).toBe('unbound');
    // Another signer for the same id (a squatter who copied the rotation keys) is unbound.
    expect(userIdBinding({ userId: genesis.userId, signer: strong.publicKey })).toBe('unbound');
  });
});

describe('idBinding on attacker-controlled input', () => {
  it('answers unbound, never throws, for any string pair', () => {
    fc.assert(
      fc.property(fc.constantFrom<IdKind>('user', 'group'), fc.string({ maxLength: 40 }), fc.string({ maxLength: 60 }), (kind, id, key) => {
        expect(['self-certifying', 'unbound']).toContain(idBinding(kind, id, key));
      }),
      { numRuns: 500 },
    );
    expect(idBinding('user', VECTORS.valid[0]!.id, `${VECTORS.valid[0]!.key}=`)).toBe('unbound');
    expect(idBinding('user', VECTORS.valid[0]!.id.toUpperCase(), VECTORS.valid[0]!.key)).toBe('unbound');
  });

  it('makes ids that are bound exactly to their own key and kind', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 36 ** 10 - 1 }), (bytes, now) => {
        const key = Buffer.from(bytes).toString('base64url');
        const id = boundPeersId('user', key, now);
        expect(id.slice(0, 10)).toBe(now.toString(36).padStart(10, '0'));
        expect(idBinding('user', id, key)).toBe('self-certifying');
        expect(idBinding('group', id, key)).toBe('unbound');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the admission policy (server/admission-policy.ts, config USER_IDS and GROUP_IDS)', () => {
  const bound = VECTORS.valid.find((v) => v.kind === 'user')!;
  const boundGroup = VECTORS.valid.find((v) => v.kind === 'group')!;
  const unbound = VECTORS.unbound.find((v) => v.kind === 'user')!;

  it('self-certifying refuses an unbound genesis with ID_NOT_BOUND and admits a bound one', () => {
    expect(codeOfSync(() => admitUserId('self-certifying', { userId: bound.id, signer: bound.key }))).toBe('ok');
    expect(codeOfSync(() => admitUserId('self-certifying', { userId: unbound.id, signer: unbound.key }))).toBe('ID_NOT_BOUND');
    expect(codeOfSync(() => admitGroupId('self-certifying', { groupId: boundGroup.id, signer: boundGroup.key }))).toBe('ok');
    expect(codeOfSync(() => admitGroupId('self-certifying', { groupId: bound.id, signer: bound.key }))).toBe('ID_NOT_BOUND'); // a user id is no group id
  });

  it('any admits every Peers id', () => {
    expect(codeOfSync(() => admitUserId('any', { userId: unbound.id, signer: unbound.key }))).toBe('ok');
    expect(codeOfSync(() => admitGroupId('any', { groupId: '0000000000aaaaaaaaaaaaaaa', signer: bound.key }))).toBe('ok');
  });

  it('is self-certifying by default, configurable per kind, and refuses other values', () => {
    expect(readConfig({}).ids).toEqual({ users: 'self-certifying', groups: 'self-certifying' });
    expect(readConfig({ USER_IDS: 'any' }).ids).toEqual({ users: 'any', groups: 'self-certifying' });
    expect(readConfig({ GROUP_IDS: 'any' }).ids).toEqual({ users: 'self-certifying', groups: 'any' });
    expect(() => readConfig({ USER_IDS: 'bound' })).toThrow(ConfigError);
    expect(() => readConfig({ GROUP_IDS: '' })).toThrow(ConfigError);
  });
});
