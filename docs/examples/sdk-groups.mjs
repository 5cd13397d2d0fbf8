// A group that pins its members' keys, and a check of those keys against the members' own chains
// (see docs/sdk.md, "Groups"):
//   npm install @peerkeys/sdk
//   node sdk-groups.mjs http://127.0.0.1:8080
import { RegistryClient, createGroupGenesis, createIdentityRecord, createSuccessorRecord, generateIdentityKeys, generateSigningKeyPair, groupMember } from '@peerkeys/sdk';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const { vkey } = await (await fetch(`${url}/v1/registry`)).json(); // ship the vkey with your app instead
const registry = new RegistryClient({ url, vkey });

async function register(name) {
  const keys = generateIdentityKeys();
  const record = await createIdentityRecord(keys, { name });
  await registry.register(record);
  return { keys, record, userId: record.userId };
}
const me = await register('Dana');
const bob = await register('Bob');
const bobId = bob.userId;
const keys = me.keys;

const founder = { userId: me.userId, signingKey: keys.signing };
const genesis = await createGroupGenesis({
  name: 'Project Peers',
  members: [groupMember(await registry.lookup(me.userId), 'founder'), groupMember(await registry.lookup(bobId), 'writer')],
  signer: founder,
});
await registry.registerGroup(genesis);

const pinned = await registry.keysFromGroup(genesis.groupId, bobId); // as the group vouches
console.log(`the group pins Bob's key ${pinned.publicKey} as a ${pinned.role}`);

// Bob rotates his key; the group still pins the old one until an admin repins him.
await registry.submit(await createSuccessorRecord({ previous: bob.record, signingKey: generateSigningKeyPair(), signer: bob.keys.rotation }));
const check = await registry.crossCheckGroupMember(genesis.groupId, bobId); // vs Bob's own chain
if (!check.ok) console.warn(`group and registry disagree about Bob: ${check.status}`, check.differences);
console.log(`cross-check: ${check.status}`);
