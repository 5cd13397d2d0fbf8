// DESIGN.md §2 over HTTP: a chain's whole life, and every rule but recovery refused with its code.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseCheckpointText, parseSignedNote } from '../../src/protocol/checkpoint.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { signIdentityRecord } from '../../src/sdk/records.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { useTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

// On the embedded database `npm start` uses by default (PGlite in this process), in every run, CI's
// included: the other suites work in a schema reached over the Postgres protocol.
const registry = useTestRegistry({ embedded: true });
const client = api(() => registry.app);

async function logSize(): Promise<number> {
  const note = (await client.get('/v1/log/checkpoint')).text;
  return parseCheckpointText(parseSignedNote(note)!.text)!.size;
}

async function register(identity: TestIdentity) {
  const reply = await client.post('/v1/users', identity.head);
  expectWith(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply;
}

describe('an identity chain over HTTP', () => {
  it('round-trips a genesis, two rotations by rotation keys and a revocation', async () => {
    const alice = await newIdentity({ rotationKeys: 3, name: 'Alice' });
    const created = await register(alice);
    expect(created.body.hash).toBe(recordHash(alice.head));
    expect(created.headers.get('location')).toBe(`/v1/users/${alice.userId}`);

    // Rotation 1: a new signing key, signed by the weakest rotation key.
    const signing2 = generateSigningKeyPair();
    const update1 = await nextRecord(alice, { signingKey: signing2 });
    expect((await client.post(`/v1/users/${alice.userId}`, update1)).status).toBe(200);
    alice.records.push(update1);
    alice.signing = signing2;

    // Rotation 2: new rotation keys too, signed by the strongest current one.
    const newRotation = [generateSigningKeyPair(), generateSigningKeyPair()];
    const update2 = await nextRecord(alice, { rotationKeys: newRotation.map((k) => k.publicKey), signer: alice.rotation[0]! });
    const second = await client.post(`/v1/users/${alice.userId}`, update2);
    expect(second.status).toBe(200);
    expect(second.body.index).toBe(created.body.index + 2);
    alice.records.push(update2);
    alice.rotation = newRotation;

    const revocation = await nextRecord(alice, { status: 'revoked' });
    expect((await client.post(`/v1/users/${alice.userId}`, revocation)).status).toBe(200);
    alice.records.push(revocation);

    const lookup = await client.get(`/v1/users/${alice.userId}`);
    expect(lookup.status).toBe(200);
    expect(lookup.body.status).toBe('revoked');
    expect(lookup.body.publicKey).toBe(signing2.publicKey);
    expect(lookup.body.rotationKeys).toEqual(newRotation.map((k) => k.publicKey));
    expect(lookup.body.entries.map((e: { record: unknown }) => e.record)).toEqual(alice.records);
    expect(lookup.body.entries.map((e: { index: number }) => e.index)).toEqual([0, 1, 2, 3].map((i) => created.body.index + i));

    // After a revocation nothing but a recovery is accepted.
    const afterRevocation = await nextRecord(alice);
    const refused = await client.post(`/v1/users/${alice.userId}`, afterRevocation);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('REVOKED');
  });

  it('answers a write with its log index, inclusion proof and a checkpoint of the proof’s size', async () => {
    const bob = await newIdentity();
    const reply = await register(bob);
    const checkpoint = parseCheckpointText(parseSignedNote(reply.body.checkpoint)!.text)!;
    expect(reply.body.proof.index).toBe(reply.body.index);
    expect(reply.body.proof.size).toBe(checkpoint.size);
    expect(checkpoint.size).toBeGreaterThan(reply.body.index);
    expect(reply.body.acceptedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('every rule of DESIGN.md §2 (but recovery) refuses a violating record and stores nothing', () => {
  let carol: TestIdentity;
  beforeAll(async () => {
    carol = await newIdentity({ rotationKeys: 2 });
    await register(carol);
  }, 120_000);

  async function expectRefused(path: string, record: unknown, status: number, code: string) {
    const before = { size: await logSize(), lookup: (await client.get(`/v1/users/${carol.userId}`)).body };
    const reply = await client.post(path, record);
    expectWith(reply.status, JSON.stringify(reply.body)).toBe(status);
    expect(reply.body.code).toBe(code);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(await logSize()).toBe(before.size);
    expect((await client.get(`/v1/users/${carol.userId}`)).body.entries).toEqual(before.lookup.entries);
  }

  it('genesis signed by a key outside its own rotation keys: 422 UNAUTHORIZED_SIGNER', async () => {
    const outsider = generateSigningKeyPair();
    const dave = await newIdentity();
    const record = await signIdentityRecord({ ...dave.head, signer: outsider.publicKey }, dave.signing, outsider);
    await expectRefused('/v1/users', record, 422, 'UNAUTHORIZED_SIGNER');
    expect((await client.get(`/v1/users/${dave.userId}`)).status).toBe(404);
  });

  it('a second genesis for a userId: 409 ALREADY_EXISTS', async () => {
    const twin = await newIdentity({ twinOf: carol });
    await expectRefused('/v1/users', twin.head, 409, 'ALREADY_EXISTS');
  });

  it('a genesis with seq other than 0 on POST /v1/users: 422 SEQ_MISMATCH', async () => {
    await expectRefused('/v1/users', await nextRecord(carol), 422, 'SEQ_MISMATCH');
  });

  it('an update signed by a key that is not one of the head’s rotation keys: 422 UNAUTHORIZED_SIGNER', async () => {
    const stranger = generateSigningKeyPair();
    await expectRefused(`/v1/users/${carol.userId}`, await nextRecord(carol, { signer: stranger }), 422, 'UNAUTHORIZED_SIGNER');
  });

  it('an update signed by the user’s signing key rather than a rotation key: 422 UNAUTHORIZED_SIGNER', async () => {
    await expectRefused(`/v1/users/${carol.userId}`, await nextRecord(carol, { signer: carol.signing }), 422, 'UNAUTHORIZED_SIGNER');
  });

  it('an update whose seq is not head.seq + 1: 422 SEQ_MISMATCH', async () => {
    const next = await nextRecord(carol);
    const skipped = await signIdentityRecord({ ...next, seq: 2 }, carol.signing, carol.rotation[1]!);
    await expectRefused(`/v1/users/${carol.userId}`, skipped, 422, 'SEQ_MISMATCH');
  });

  it('an update whose prev names no record of this user: 409 PREV_MISMATCH', async () => {
    const next = await nextRecord(carol);
    const forked = await signIdentityRecord({ ...next, prev: recordHash(next) }, carol.signing, carol.rotation[1]!);
    await expectRefused(`/v1/users/${carol.userId}`, forked, 409, 'PREV_MISMATCH');
  });

  it('an update not later than the head: 422 TIME_ORDER', async () => {
    await expectRefused(`/v1/users/${carol.userId}`, await nextRecord(carol, { createdAt: carol.head.createdAt }), 422, 'TIME_ORDER');
    const earlier = formatTimestamp(Date.parse(carol.head.createdAt) - 1000);
    await expectRefused(`/v1/users/${carol.userId}`, await nextRecord(carol, { createdAt: earlier }), 422, 'TIME_ORDER');
  });

  it('a record more than 5 minutes from the server’s clock: 422 CLOCK_SKEW, both ways', async () => {
    const future = formatTimestamp(Date.now() + 5 * 60_000 + 10_000);
    await expectRefused(`/v1/users/${carol.userId}`, await nextRecord(carol, { createdAt: future }), 422, 'CLOCK_SKEW');
    const old = await newIdentity({ createdAt: formatTimestamp(Date.now() - 5 * 60_000 - 10_000) });
    await expectRefused('/v1/users', old.head, 422, 'CLOCK_SKEW');
  });

  it('a bad sig: 422 BAD_SIGNATURE', async () => {
    const next = await nextRecord(carol);
    const other = await nextRecord(carol, { name: 'changed after signing' });
    await expectRefused(`/v1/users/${carol.userId}`, { ...next, sig: other.sig }, 422, 'BAD_SIGNATURE');
  });

  it('a publicKeyProof not made by publicKey (no proof of possession): 422 BAD_SIGNATURE', async () => {
    const someoneElsesKey = generateSigningKeyPair();
    const next = await nextRecord(carol);
    // Claim a key we do not hold: sign everything but the proof correctly.
    const record = await signIdentityRecord({ ...next, publicKey: someoneElsesKey.publicKey }, someoneElsesKey, carol.rotation[1]!);
    const forged = { ...record, publicKeyProof: (await nextRecord(carol)).publicKeyProof };
    await expectRefused(`/v1/users/${carol.userId}`, forged, 422, 'BAD_SIGNATURE');
  });

  it('a genesis posted to the update endpoint: 422 SEQ_MISMATCH', async () => {
    await expectRefused(`/v1/users/${carol.userId}`, carol.records[0], 422, 'SEQ_MISMATCH');
  });

  it('a record whose userId differs from the path: 400 INVALID_RECORD', async () => {
    const other = await newIdentity();
    await register(other);
    await expectRefused(`/v1/users/${carol.userId}`, await nextRecord(other), 400, 'INVALID_RECORD');
  });

  it('an update for a userId nobody registered: 404 NOT_FOUND', async () => {
    const ghost = await newIdentity();
    const reply = await client.post(`/v1/users/${ghost.userId}`, await nextRecord(ghost));
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('NOT_FOUND');
  });

  it('a lookup of an unknown user is 404 and of a malformed id 400', async () => {
    expect((await client.get('/v1/users/0000000000zzzzzzzzzzzzzzz')).body.code).toBe('NOT_FOUND');
    expect((await client.get('/v1/users/NOT-AN-ID')).status).toBe(400);
  });
});
