// A runnable tour of @peerkeys/sdk against a registry (see docs/sdk.md):
//   npm install @peerkeys/sdk
//   node sdk-quickstart.mjs https://keys.example.org      # or a registry of your own on :8080
import {
  NotFoundError,
  RegistryClient,
  ReplayGuard,
  createDeviceRecord,
  createIdentityRecord,
  createSuccessorRecord,
  generateIdentityKeys,
  generateSigningKeyPair,
  newPeersId,
  open,
  seal,
} from '@peerkeys/sdk';
import { FileStore } from '@peerkeys/sdk/node';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';

// 1. Pin the registry's log key. In an app this string is shipped with the app or checked out of
//    band; fetching it from the registry itself, as here, only suits a demo.
//    The store remembers the last checkpoint and heads this client verified, across restarts.
const { vkey } = await (await fetch(`${url}/v1/registry`)).json();
const registry = new RegistryClient({ url, vkey, store: new FileStore('./peerkeys-client.json') });

// 2. Alice makes her keys and registers. Secret keys never leave this process.
const alice = generateIdentityKeys();
const genesis = await createIdentityRecord(alice, { name: 'Alice' });
const receipt = await registry.register(genesis);
console.log(`registered ${genesis.userId} at log index ${receipt.index}`);

// 3. She rotates her signing key (authorised by her rotation key) and publishes a device.
const newSigningKey = generateSigningKeyPair();
await registry.submit(await createSuccessorRecord({ previous: genesis, signingKey: newSigningKey, signer: alice.rotation }));
alice.signing = newSigningKey;
await registry.publishDevice(await createDeviceRecord({ userId: genesis.userId, addresses: ['192.168.1.20:5000'], signingKey: alice.signing }));

// 4. Bob registers too, then looks Alice up: verified chain, proof and checkpoint, or an error.
const bob = generateIdentityKeys();
const bobRecord = await createIdentityRecord(bob, { name: 'Bob' });
await registry.register(bobRecord);
const found = await registry.lookup(genesis.userId);
console.log(`verified ${found.name}: signing key ${found.publicKey}, ${found.entries.length} records, checkpoint size ${found.checkpoint.size}`);
console.log(`devices: ${(await registry.devices(genesis.userId, found)).map((d) => d.addresses.join(' ')).join('; ')}`);

// 5. Bob seals a message to Alice; Alice opens it against Bob's verified keys.
const envelope = seal({ hello: 'Alice' }, { userId: bobRecord.userId, signingKey: bob.signing, boxKey: bob.box }, found);
const bobKeys = await registry.lookup(bobRecord.userId);
const message = open(envelope, { userId: genesis.userId, boxKey: alice.box }, bobKeys, { replayGuard: new ReplayGuard() });
console.log(`Alice opened a sealed message from ${message.from}: ${JSON.stringify(message.payload)}`);

// 6. An id nobody registered: the registry proves its absence with its key map, or the lookup fails.
try {
  await registry.lookup(newPeersId());
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error; // e.g. UNVERIFIED_ABSENCE: a 404 that proves nothing
  console.log(`no such id: proven absent as of the checkpoint of ${new Date(error.checkpoint.time).toISOString()}`);
}
