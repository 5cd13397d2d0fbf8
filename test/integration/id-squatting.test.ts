// Security issue part 5: squatting a known id. Ids leak before their owner registers (a group pins
// a member who is not registered yet, and GET /v1/users/{id}/groups names it), so under "the first
// valid genesis wins" anyone could register that id with keys of their own: lookups verified, the
// registry vouched for the squatter in a handshake, and the owner got 409 forever. Ids are now
// self-certifying (DESIGN.md §1): derived from the key that signs their genesis, and a registry
// with the default policy refuses a genesis that does not match its id.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  HandshakeError,
  RegistryClient,
  createGroupGenesis,
  createIdentityRecord,
  generateIdentityKeys,
  groupMember,
  registryTrust,
  signIdentityRecord,
  type IdentityKeys,
} from '../../src/sdk/index.js';
import { api } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let strict: TestRegistry; // the default policy: USER_IDS and GROUP_IDS self-certifying
let other: TestRegistry; // a second registry with the default policy
let legacy: TestRegistry; // an operator serving existing Peers accounts: USER_IDS=any, GROUP_IDS=any

beforeAll(async () => {
  // One after another: on the embedded database, registries starting together queue for its one
  // session, and on a busy machine a start could wait longer than a transaction may wait to begin.
  strict = await startTestRegistry();
  other = await startTestRegistry();
  legacy = await startTestRegistry({ env: { USER_IDS: 'any', GROUP_IDS: 'any' } });
}, 120_000);
afterAll(() => Promise.all([strict, other, legacy].map((r) => r?.close())), 120_000);

const clientOf = (registry: TestRegistry) => new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
const logSize = async (registry: TestRegistry) => (await api(registry.url).get('/v1/log/checkpoint')).text.split('\n')[1];

/** A registered identity: its keys and genesis. */
async function registered(registry: TestRegistry, name: string): Promise<{ keys: IdentityKeys; userId: string }> {
  const keys = generateIdentityKeys();
  const genesis = await createIdentityRecord(keys, { name });
  await clientOf(registry).register(genesis);
  return { keys, userId: genesis.userId };
}

async function handshakeCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HandshakeError);
  return (error as HandshakeError).code;
}

describe('squatting an identity id that leaked before its owner registered', () => {
  it('is refused under the default policy: 422 ID_NOT_BOUND, and the owner then registers and is vouched for', async () => {
    const http = api(strict.url);
    const client = clientOf(strict);
    // Alice makes her keys and id offline; Bob founds a group that pins her before she registers.
    const alice = generateIdentityKeys();
    const aliceGenesis = await createIdentityRecord(alice, { name: 'Alice' });
    const bob = await registered(strict, 'Bob');
    const group = await createGroupGenesis({
      name: 'Friends',
      members: [groupMember({ userId: bob.userId, publicKey: bob.keys.signing.publicKey, publicBoxKey: bob.keys.box.publicKey }, 'founder'), groupMember({ userId: aliceGenesis.userId, publicKey: alice.signing.publicKey, publicBoxKey: alice.box.publicKey }, 'writer')],
      signer: { userId: bob.userId, signingKey: bob.keys.signing },
    });
    await client.registerGroup(group);
    // The id leaks: anyone can list the groups that name it.
    expect((await http.get(`/v1/users/${aliceGenesis.userId}/groups`)).body.groups).toMatchObject([{ groupId: group.groupId }]);

    // Mallory registers Alice's id with keys of her own.
    const mallory = generateIdentityKeys();
    const squat = await createIdentityRecord(mallory, { userId: aliceGenesis.userId, name: 'Alice' });
    const before = await logSize(strict);
    const refused = await http.post('/v1/users', squat);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('ID_NOT_BOUND');
    expect(await logSize(strict)).toBe(before);
    expect((await http.get(`/v1/users/${aliceGenesis.userId}`)).status).toBe(404);

    // Alice registers her own id; lookups and the handshake's registry source vouch for her keys.
    await client.register(aliceGenesis);
    const found = await client.lookup(aliceGenesis.userId);
    expect(found.publicKey).toBe(alice.signing.publicKey);
    expect(found.idBinding).toBe('self-certifying');
    expect(await registryTrust(client).keysFor(aliceGenesis.userId)).toMatchObject({ publicKey: alice.signing.publicKey, publicBoxKey: alice.box.publicKey, idBinding: 'self-certifying' });
    expect(await client.crossCheckGroupMember(group.groupId, aliceGenesis.userId)).toMatchObject({ status: 'match', registry: { idBinding: 'self-certifying' } });
  });

  it('is refused when the squatter copies the owner’s rotation keys from another registry and signs with a key of its own', async () => {
    // Alice is registered at one registry; her genesis, rotation keys included, is public there.
    const alice = generateIdentityKeys();
    const aliceGenesis = await createIdentityRecord(alice);
    await clientOf(strict).register(aliceGenesis);
    // Mallory claims the same id at another registry: Alice's rotation keys first (so a binding to
    // the first rotation key would hold), her own key last, which signs.
    const mallory = generateIdentityKeys();
    const unsigned = { ...aliceGenesis, publicKey: mallory.signing.publicKey, publicBoxKey: mallory.box.publicKey, rotationKeys: [...aliceGenesis.rotationKeys, mallory.rotation.publicKey], signer: mallory.rotation.publicKey };
    const { sig: _sig, publicKeyProof: _proof, ...rest } = unsigned;
    const squat = await signIdentityRecord(rest, mallory.signing, mallory.rotation);
    const refused = await api(other.url).post('/v1/users', squat);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('ID_NOT_BOUND');
    // Alice's own genesis, replayed there by anyone, registers Alice's keys: no harm done.
    const copy = await clientOf(other).register(aliceGenesis);
    expect(copy.index).toBeGreaterThanOrEqual(0);
    expect((await clientOf(other).lookup(aliceGenesis.userId)).publicKey).toBe(alice.signing.publicKey);
  });

  it('refuses any Peers id made without the derivation under the default policy, changing nothing', async () => {
    const keys = generateIdentityKeys();
    const record = await createIdentityRecord(keys, { userId: '0000000000aaaaaaaaaaaaaaa' });
    const before = await logSize(strict);
    const reply = await api(strict.url).post('/v1/users', record);
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('ID_NOT_BOUND');
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(await logSize(strict)).toBe(before);
  });
});

describe('a registry that serves existing Peers accounts (USER_IDS=any)', () => {
  it('accepts any Peers id first-come-first-served, and every lookup says the id is unbound', async () => {
    const client = clientOf(legacy);
    const keys = generateIdentityKeys();
    const record = await createIdentityRecord(keys, { userId: '0000000000bbbbbbbbbbbbbbb' });
    await client.register(record);
    const found = await client.lookup(record.userId);
    expect(found.idBinding).toBe('unbound');
    // A bound id is reported as such whatever the registry's policy.
    const bound = await registered(legacy, 'Bound');
    expect((await client.lookup(bound.userId)).idBinding).toBe('self-certifying');
  });

  it('lets a squatter take a leaked id, but the handshake’s registry source refuses to vouch for an unbound id unless told to', async () => {
    const client = clientOf(legacy);
    const leakedId = '0000000000ccccccccccccccc';
    // A group pins the id with its owner's keys before the owner registers.
    const ownerKeys = generateIdentityKeys();
    const bob = await registered(legacy, 'Bob');
    const group = await createGroupGenesis({
      name: 'Old friends',
      members: [groupMember({ userId: bob.userId, publicKey: bob.keys.signing.publicKey, publicBoxKey: bob.keys.box.publicKey }, 'founder'), groupMember({ userId: leakedId, publicKey: ownerKeys.signing.publicKey, publicBoxKey: ownerKeys.box.publicKey }, 'writer')],
      signer: { userId: bob.userId, signingKey: bob.keys.signing },
    });
    await client.registerGroup(group);
    const mallory = generateIdentityKeys();
    await client.register(await createIdentityRecord(mallory, { userId: leakedId }));
    // The owner arrives too late: first wins under this policy.
    const owner = await api(legacy.url).post('/v1/users', await createIdentityRecord(ownerKeys, { userId: leakedId }));
    expect(owner.status).toBe(409);
    expect(owner.body.code).toBe('ALREADY_EXISTS');
    // The group's cross-check reports the difference and that the registry's id is unbound.
    expect(await client.crossCheckGroupMember(group.groupId, leakedId)).toMatchObject({ status: 'mismatch', registry: { publicKey: mallory.signing.publicKey, idBinding: 'unbound' } });

    expect(await handshakeCode(registryTrust(client).keysFor(leakedId))).toBe('UNBOUND_ID');
    expect(await registryTrust(client, { allowUnboundIds: true }).keysFor(leakedId)).toMatchObject({ publicKey: mallory.signing.publicKey, idBinding: 'unbound' });
  });
});

describe('squatting a group id that leaked before the group was created', () => {
  it('is refused under the default policy: 422 ID_NOT_BOUND; the founder then creates it, and lookups say it is bound', async () => {
    const client = clientOf(strict);
    const bob = await registered(strict, 'Bob');
    const mallory = await registered(strict, 'Mallory');
    // Bob prepares the group offline and hands its id around.
    const genesis = await createGroupGenesis({
      name: 'Project',
      members: [groupMember({ userId: bob.userId, publicKey: bob.keys.signing.publicKey, publicBoxKey: bob.keys.box.publicKey }, 'founder')],
      signer: { userId: bob.userId, signingKey: bob.keys.signing },
    });
    // Mallory, a registered user, founds a group of her own under that id.
    const squat = await createGroupGenesis({
      groupId: genesis.groupId,
      name: 'Project',
      members: [groupMember({ userId: mallory.userId, publicKey: mallory.keys.signing.publicKey, publicBoxKey: mallory.keys.box.publicKey }, 'founder')],
      signer: { userId: mallory.userId, signingKey: mallory.keys.signing },
    });
    const refused = await api(strict.url).post('/v1/groups', squat);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('ID_NOT_BOUND');

    await client.registerGroup(genesis);
    const group = await client.group(genesis.groupId);
    expect(group.idBinding).toBe('self-certifying');
    expect(group.members.map((m) => m.userId)).toEqual([bob.userId]);
  });

  it('accepts an unbound group id under GROUP_IDS=any, and the verified group says so', async () => {
    const client = clientOf(legacy);
    const bob = await registered(legacy, 'Bob');
    const genesis = await createGroupGenesis({
      groupId: '0000000000ddddddddddddddd',
      name: 'Old group',
      members: [groupMember({ userId: bob.userId, publicKey: bob.keys.signing.publicKey, publicBoxKey: bob.keys.box.publicKey }, 'founder')],
      signer: { userId: bob.userId, signingKey: bob.keys.signing },
    });
    await client.registerGroup(genesis);
    expect((await client.group(genesis.groupId)).idBinding).toBe('unbound');
  });
});
