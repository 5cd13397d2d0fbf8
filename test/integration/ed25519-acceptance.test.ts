// Ed25519 acceptance at the registry's door (DESIGN.md §1, "Ed25519 keys and signatures"): a
// public log must hold only records every reasonable verifier accepts. The attack: a genesis whose
// key has a small-order component (aB + T8), or whose proof has a small-order R, was accepted by
// the registry (node:crypto) although verifiers disagree on them. Every case of
// test/vectors/ed25519/invalid.json is replayed here through HTTP: refused with a stable code,
// nothing stored.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGroupGenesis, groupMember } from '../../src/sdk/group-records.js';
import { generateBoxKeyPair } from '../../src/sdk/keys.js';
import { api } from '../helpers/http.js';
import { constructedSigner, defectiveSignerFor, deviceWith, genesisWith, honestSigner, keyOnly, successorWith } from '../helpers/forged-records.js';
import { newIdentity } from '../helpers/identities.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

const { valid, invalid } = loadVectors();
const byId = (id: string) => invalid.cases.find((c) => c.id === id)!;
const KEY_DEFECTS = new Set(['non-canonical-key', 'key-not-on-curve', 'small-order-key', 'mixed-order-key']);
const keyCases = invalid.cases.filter((c) => KEY_DEFECTS.has(c.defect!));
/** Cases whose defect is in the signature, re-made over any message by their construction. */
const signatureCases = invalid.cases.filter((c) => !KEY_DEFECTS.has(c.defect!) && c.construction.kind !== 'none' && c.construction.kind !== 'honest');

let registry: TestRegistry;
let http: ReturnType<typeof api>;

beforeAll(async () => {
  registry = await startTestRegistry();
  http = api(registry.url);
}, 120_000);
afterAll(async () => {
  await registry?.close();
}, 120_000);

async function logSize(): Promise<number> {
  const checkpoint = await http.get<string>('/v1/log/checkpoint');
  return Number(checkpoint.text.split('\n')[1]);
}

/** Posts a genesis and checks that a refusal left nothing behind. */
async function register(record: { userId: string }): Promise<{ status: number; code?: string }> {
  const before = await logSize();
  const reply = await http.post('/v1/users', record);
  if (reply.status !== 201) {
    expect(await logSize()).toBe(before);
    expect((await http.get(`/v1/users/${record.userId}`)).status).toBe(404);
  }
  return { status: reply.status, ...(reply.status === 201 ? {} : { code: reply.body.code }) };
}

describe('the attack: keys and signatures that verifiers disagree on', () => {
  it('accepts the same construction with honest keys (the control)', async () => {
    expect(await register((await genesisWith({})).record)).toEqual({ status: 201 });
  });

  it('refuses a genesis whose publicKey is the mixed-order key aB + T8, with a proof node:crypto accepts: 400 INVALID_RECORD', async () => {
    const mixed = constructedSigner(byId('mixed-order-key').construction);
    expect(await register((await genesisWith({ signing: mixed })).record)).toEqual({ status: 400, code: 'INVALID_RECORD' });
  });

  it('refuses a genesis naming the mixed-order key as a rotation key that signs nothing yet: 400 INVALID_RECORD', async () => {
    const mixed = constructedSigner(byId('mixed-order-key').construction);
    expect(await register((await genesisWith({ extraRotationKeys: [mixed.publicKey] })).record)).toEqual({ status: 400, code: 'INVALID_RECORD' });
  });

  it('refuses a genesis signed by a mixed-order rotation key: 400 INVALID_RECORD', async () => {
    const mixed = constructedSigner(byId('mixed-order-key-t2').construction);
    expect(await register((await genesisWith({ signer: mixed })).record)).toEqual({ status: 400, code: 'INVALID_RECORD' });
  });

  it('refuses a genesis whose publicKeyProof has a small-order R (the identity), which node:crypto and tweetnacl accept: 422 BAD_SIGNATURE', async () => {
    const identity = await newIdentity({ quickKeys: true });
    const proof = defectiveSignerFor(identity.signing, 'small-order-r');
    expect(await register((await genesisWith({ signing: proof })).record)).toEqual({ status: 422, code: 'BAD_SIGNATURE' });
  });

  it('refuses a genesis whose sig has a small-order R: 422 BAD_SIGNATURE', async () => {
    const identity = await newIdentity({ quickKeys: true });
    const signer = defectiveSignerFor(identity.rotation[0]!, 'small-order-r');
    expect(await register((await genesisWith({ signer })).record)).toEqual({ status: 422, code: 'BAD_SIGNATURE' });
  });
});

describe('every invalid key of the shared vectors, wherever a record names a key', () => {
  it.each(keyCases.map((c) => [c.id, c] as const))('%s as a genesis publicKey: 400 INVALID_RECORD', async (_id, vector) => {
    // The construction signs for the mixed-order keys; nobody can sign for the others.
    const signing = vector.construction.kind === 'none' ? keyOnly(vector.publicKey) : constructedSigner(vector.construction);
    expect(await register((await genesisWith({ signing })).record)).toEqual({ status: 400, code: 'INVALID_RECORD' });
  });

  it.each(keyCases.map((c) => [c.id, c] as const))('%s as a rotation key: 400 INVALID_RECORD', async (_id, vector) => {
    expect(await register((await genesisWith({ extraRotationKeys: [keyOnly(vector.publicKey).publicKey] })).record)).toEqual({ status: 400, code: 'INVALID_RECORD' });
  });

  it.each(keyCases.map((c) => [c.id, c] as const))('%s as a group member’s pinned key: 400 INVALID_RECORD', async (_id, vector) => {
    const founder = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', founder.head)).status).toBe(201);
    const group = await createGroupGenesis({
      name: 'vectors',
      members: [
        groupMember({ userId: founder.userId, publicKey: founder.signing.publicKey, publicBoxKey: founder.box.publicKey }, 'founder'),
        groupMember({ userId: (await newIdentity({ quickKeys: true })).userId, publicKey: keyOnly(vector.publicKey).publicKey, publicBoxKey: generateBoxKeyPair().publicKey }, 'reader'),
      ],
      signer: { userId: founder.userId, signingKey: founder.signing },
    });
    const before = await logSize();
    const reply = await http.post('/v1/groups', group);
    expect([reply.status, reply.body.code]).toEqual([400, 'INVALID_RECORD']);
    expect(await logSize()).toBe(before);
    expect((await http.get(`/v1/groups/${group.groupId}`)).status).toBe(404);
  });

  it.each(valid.cases.map((c) => [c.id, c] as const))('valid key %s is accepted as a rotation key (the baseline)', async (_id, vector) => {
    expect(await register((await genesisWith({ extraRotationKeys: [keyOnly(vector.publicKey).publicKey] })).record)).toEqual({ status: 201 });
  });
});

describe('every invalid signature of the shared vectors, made over a record', () => {
  it.each(signatureCases.map((c) => [c.id, c] as const))('%s as a genesis publicKeyProof: 422 BAD_SIGNATURE', async (_id, vector) => {
    const identity = await newIdentity({ quickKeys: true });
    const proof = defectiveSignerFor(identity.signing, vector.construction);
    expect(await register((await genesisWith({ signing: proof })).record)).toEqual({ status: 422, code: 'BAD_SIGNATURE' });
  });

  it.each(signatureCases.map((c) => [c.id, c] as const))('%s as an update’s sig: 422 BAD_SIGNATURE, the head unchanged', async (_id, vector) => {
    const identity = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    const signer = defectiveSignerFor(identity.rotation[identity.rotation.length - 1]!, vector.construction);
    const reply = await http.post(`/v1/users/${identity.userId}`, await successorWith(identity, { signer }));
    expect([reply.status, reply.body.code]).toEqual([422, 'BAD_SIGNATURE']);
    expect((await http.get(`/v1/users/${identity.userId}`)).body.entries).toHaveLength(1);
  });

  it.each(signatureCases.map((c) => [c.id, c] as const))('%s as a device record’s sig: 422 BAD_SIGNATURE, nothing stored', async (_id, vector) => {
    const identity = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    const device = await deviceWith(identity, defectiveSignerFor(identity.signing, vector.construction));
    const reply = await http.put(`/v1/users/${identity.userId}/devices/${device.deviceId}`, device);
    expect([reply.status, reply.body.code]).toEqual([422, 'BAD_SIGNATURE']);
    expect((await http.get(`/v1/users/${identity.userId}/devices`)).body.devices).toEqual([]);
  });

  it('an update introducing the mixed-order key as publicKey: 400 INVALID_RECORD, the head unchanged', async () => {
    const identity = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    const record = await successorWith(identity, { signing: constructedSigner(byId('mixed-order-key').construction) });
    const reply = await http.post(`/v1/users/${identity.userId}`, record);
    expect([reply.status, reply.body.code]).toEqual([400, 'INVALID_RECORD']);
    expect((await http.get(`/v1/users/${identity.userId}`)).body.entries).toHaveLength(1);
  });

  it('the honest update and device record of the same construction are accepted (the control)', async () => {
    const identity = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    expect((await http.post(`/v1/users/${identity.userId}`, await successorWith(identity, {}))).status).toBe(200);
    const device = await deviceWith(identity, honestSigner(identity.signing));
    expect((await http.put(`/v1/users/${identity.userId}/devices/${device.deviceId}`, device)).status).toBe(200);
  });
});
