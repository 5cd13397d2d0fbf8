// Issue 19: the key rule of DESIGN.md §1 (canonical, on the curve, not of small order, in the
// prime-order subgroup) costs a libsodium call per key the process does not remember, and a
// rotation's signer and unchanged rotation keys — a group update's unchanged members — are keys of
// the chain's stored previous record, which passed that rule when it was admitted. They were
// checked again on every write whose keys the process had not met (a restarted registry, or one
// with more chains than its memory of keys). Now a key byte-equal to a stored key of the same chain
// is not checked again, while every key new to the chain still is: the stored keys come from the
// ledger state the log writer reads under its lock, never from the request.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { isAcceptableEd25519Key, useEd25519KeyCheck } from '../../src/protocol/ed25519.js';
import { sodiumKeyCheck, useSodiumKeyCheck } from '../../src/node/sodium-key-check.js';
import { withMember } from '../../src/sdk/index.js';
import { generateBoxKeyPair } from '../../src/sdk/keys.js';
import { groupMember } from '../../src/sdk/group-records.js';
import { constructedSigner, successorWith } from '../helpers/forged-records.js';
import { asMember, foundGroup, groupUpdate, registeredPerson } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord, quickSigningKeyPair } from '../helpers/identities.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

const { invalid } = loadVectors();
const mixedOrder = () => constructedSigner(invalid.cases.find((c) => c.id === 'mixed-order-key')!.construction);

let registry: TestRegistry;
let http: ReturnType<typeof api>;
let checks = 0;
let sodium: (key: Uint8Array) => boolean;

beforeAll(async () => {
  registry = await startTestRegistry();
  http = api(registry.url);
  sodium = await sodiumKeyCheck();
}, 120_000);
afterAll(async () => {
  await useSodiumKeyCheck();
  await registry?.close();
}, 120_000);

/**
 * Makes this process forget the keys it has found acceptable, as a restarted registry has: 50,000
 * other keys (both generations of its memory) pass through a check that takes them (random bytes,
 * used by nothing else), then the real check is back, counting.
 */
function forgetKeysAndCount(): void {
  useEd25519KeyCheck(() => true);
  for (let i = 0; i < 50_000; i++) isAcceptableEd25519Key(new Uint8Array(randomBytes(32)));
  checks = 0;
  useEd25519KeyCheck((key) => {
    checks++;
    return sodium(key);
  });
}

describe('identities', () => {
  beforeEach(() => useEd25519KeyCheck(sodium));

  it('a rotation checks only its new signing key, not the stored rotation keys that sign it', async () => {
    const identity = await newIdentity({ quickKeys: true }); // two rotation keys
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    forgetKeysAndCount();
    const signing = quickSigningKeyPair();
    const rotation = await nextRecord(identity, { signingKey: signing });
    expect((await http.post(`/v1/users/${identity.userId}`, rotation)).status).toBe(200);
    expect(checks).toBe(1); // was 3: publicKey and both rotation keys (the signer is one of them)
  });

  it('a rotation bringing a new rotation key that breaks the rule: 400 INVALID_RECORD, the head unchanged', async () => {
    const identity = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    forgetKeysAndCount();
    const reply = await http.post(`/v1/users/${identity.userId}`, await successorWith(identity, { extraRotationKeys: [mixedOrder().publicKey] }));
    expect([reply.status, reply.body.code]).toEqual([400, 'INVALID_RECORD']);
    expect((await http.get(`/v1/users/${identity.userId}`)).body.entries).toHaveLength(1);
  });

  it('a successor signed by a key that breaks the rule and is no stored key (node:crypto accepts its signature): 400 INVALID_RECORD', async () => {
    const identity = await newIdentity({ quickKeys: true });
    expect((await http.post('/v1/users', identity.head)).status).toBe(201);
    forgetKeysAndCount();
    const mixed = mixedOrder();
    // Named as a rotation key of the record too: nothing in the request makes a key stored.
    const reply = await http.post(`/v1/users/${identity.userId}`, await successorWith(identity, { signer: mixed, extraRotationKeys: [mixed.publicKey] }));
    expect([reply.status, reply.body.code]).toEqual([400, 'INVALID_RECORD']);
    expect((await http.get(`/v1/users/${identity.userId}`)).body.entries).toHaveLength(1);
  });

  it('the same, for an identity the registry does not have: 400 INVALID_RECORD, as before any state is read', async () => {
    const identity = await newIdentity({ quickKeys: true });
    const mixed = mixedOrder();
    const reply = await http.post(`/v1/users/${identity.userId}`, await successorWith(identity, { signer: mixed, extraRotationKeys: [mixed.publicKey] }));
    expect([reply.status, reply.body.code]).toEqual([400, 'INVALID_RECORD']);
  });
});

describe('groups', () => {
  beforeEach(() => useEd25519KeyCheck(sodium));

  it('an update adding one member checks that member’s key only, not the stored members’ keys', async () => {
    const [founder, a, b] = await Promise.all(['Fay', 'Al', 'Bo'].map((name) => registeredPerson(registry.url, name)));
    const group = await foundGroup(founder!, 'Stored keys', [asMember(a!, 'reader')]);
    expect((await http.post('/v1/groups', group)).status).toBe(201);
    forgetKeysAndCount();
    const update = await groupUpdate(group, founder!, withMember(group.members, asMember(b!, 'reader')));
    expect((await http.post(`/v1/groups/${group.groupId}`, update)).status).toBe(200);
    expect(checks).toBe(1); // was 3: the founder's key (also the signer), Al's and Bo's
  });

  it('an update adding a member whose key breaks the rule: 400 INVALID_RECORD', async () => {
    const founder = await registeredPerson(registry.url, 'Fay');
    const group = await foundGroup(founder, 'Bad member');
    expect((await http.post('/v1/groups', group)).status).toBe(201);
    forgetKeysAndCount();
    const bad = groupMember({ userId: (await newIdentity({ quickKeys: true })).userId, publicKey: mixedOrder().publicKey, publicBoxKey: generateBoxKeyPair().publicKey }, 'reader');
    const reply = await http.post(`/v1/groups/${group.groupId}`, await groupUpdate(group, founder, withMember(group.members, bad)));
    expect([reply.status, reply.body.code]).toEqual([400, 'INVALID_RECORD']);
    expect((await http.get(`/v1/groups/${group.groupId}`)).body.entries).toHaveLength(1);
  });
});
