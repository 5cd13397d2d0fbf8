// Watching your own identity, and taking it back after a theft (see docs/sdk.md, "Monitor"):
//   npm install @peerkeys/sdk
//   node sdk-monitor.mjs http://127.0.0.1:8080
import { RegistryClient, createIdentityRecord, createSuccessorRecord, generateIdentityKeys, generateSigningKeyPair, monitor } from '@peerkeys/sdk';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const { vkey } = await (await fetch(`${url}/v1/registry`)).json(); // ship the vkey with your app instead
const registry = new RegistryClient({ url, vkey });

// Carol registers, and keeps the hash of every record she makes.
const carol = generateIdentityKeys();
const genesis = await createIdentityRecord(carol, { name: 'Carol' });
const known = [(await registry.register(genesis)).hash];

// Someone who stole her rotation key replaces her signing key.
const thief = generateSigningKeyPair();
await registry.submit(await createSuccessorRecord({ previous: genesis, signingKey: thief, signer: carol.rotation }));

// Carol's next check shows a record she did not make...
const report = await monitor(registry, genesis.userId, { knownHashes: known });
for (const change of report.unexpected) console.log(`not mine: log index ${change.index}, signing key ${change.record.publicKey}`);

// ...and within 72 hours her recovery key (stronger than the stolen one) overrules it.
const { receipt } = await registry.recover({ userId: genesis.userId, undoFrom: report.unexpected[0].hash, signer: carol.recovery, signingKey: generateSigningKeyPair() });
known.push(receipt.hash);
const identity = await registry.lookup(genesis.userId);
console.log(`recovered at log index ${receipt.index}: the thief's key is ${identity.publicKey === thief.publicKey ? 'still' : 'no longer'} Carol's`);
