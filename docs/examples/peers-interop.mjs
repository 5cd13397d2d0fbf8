// Peers compatibility (docs/DESIGN.md §10) against a registry on localhost:
//   npm start                                           # terminal 1: the registry
//   npm install @peerkeys/sdk
//   node peers-interop.mjs http://127.0.0.1:8080
// Alice gets a Peers-style identity (box key derived from the signing key), the registry's anchor
// document confirms her key by the Peers rule, she seals her LAN address to Bob only, and Bob's
// trust book grades her as Peers would.
import {
  MemoryStore,
  RegistryClient,
  TrustBook,
  createDeviceRecord,
  createIdentityRecord,
  generateIdentityKeys,
  generatePeersIdentityKeys,
  openDeviceAddresses,
  resolveAnchors,
} from '@peerkeys/sdk';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const { vkey } = await (await fetch(`${url}/v1/registry`)).json(); // pin it out of band in a real app
const registry = new RegistryClient({ url, vkey });

// Alice: a Peers-style identity. Bob: an ordinary one.
const aliceKeys = generatePeersIdentityKeys();
const alice = await createIdentityRecord(aliceKeys, { name: 'Alice' });
await registry.register(alice);
const bobKeys = generateIdentityKeys();
const bob = await createIdentityRecord(bobKeys, { name: 'Bob' });
await registry.register(bob);
const found = await registry.lookup(alice.userId);
console.log(`Alice's box key is ${found.boxKeyBinding}, her id ${found.idBinding}`);

// The Peers rule, over the registry (a verified lookup) and its anchor document (a plain fetch;
// http is allowed here only because the example runs on localhost).
const anchorUrl = `${url}/peers/v1/${alice.userId}.json`;
const presented = { publicKey: aliceKeys.signing.publicKey, publicBoxKey: aliceKeys.box.publicKey };
const resolution = await resolveAnchors(alice.userId, presented, [registry, anchorUrl], { allowHttp: true });
console.log(`anchors: ${resolution.answers.map((a) => `${a.kind} ${a.answer}`).join(', ')} -> ${resolution.decision}`);

// Alice's LAN address, sealed to Bob's box key: the registry stores ciphertext.
const device = await createDeviceRecord({
  userId: alice.userId,
  addresses: [],
  sealedAddresses: { addresses: ['192.168.1.20:3341'], recipients: [bobKeys.box.publicKey] },
  signingKey: aliceKeys.signing,
});
await registry.publishDevice(device);
const [listed] = await registry.devices(alice.userId);
console.log(`Bob opens: ${openDeviceAddresses(listed, bobKeys.box).join(', ')}`);
console.log(`a stranger opens: ${openDeviceAddresses(listed, generateIdentityKeys().box)}`);

// Bob's trust book: Alice is new today, Known once her device was first seen over 7 days ago.
let now = Date.now();
const book = new TrustBook(new MemoryStore(), { now: () => now });
const aliceDevice = { userId: alice.userId, deviceId: device.deviceId, ...presented };
console.log(`Bob's book, first meeting: ${(await book.assess(aliceDevice)).levelName}`);
now += 8 * 24 * 60 * 60 * 1000;
console.log(`Bob's book, 8 days later: ${(await book.assess(aliceDevice)).levelName}`);
