// Two peers and a registry on localhost (see docs/handshake.md):
//   npm start                                           # terminal 1: the registry
//   npm install @peerkeys/sdk socket.io socket.io-client
//   node peers-handshake.mjs http://127.0.0.1:8080
// Alice listens with socket.io, Bob connects; each checks the other's keys against the registry,
// the addresses in the signed handshake are compared, and they talk over the secure channel.
import http from 'node:http';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import {
  RegistryClient,
  acceptPeer,
  connectPeer,
  createDeviceRecord,
  createIdentityRecord,
  generateIdentityKeys,
  registryTrust,
} from '@peerkeys/sdk';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const { vkey } = await (await fetch(`${url}/v1/registry`)).json(); // pin it out of band in a real app
const registry = new RegistryClient({ url, vkey });

/** Registers an identity and a device at `addresses`; returns what the handshake needs. */
async function registerPeer(name, addresses) {
  const keys = generateIdentityKeys();
  const record = await createIdentityRecord(keys, { name });
  await registry.register(record);
  const device = await createDeviceRecord({ userId: record.userId, addresses, signingKey: keys.signing });
  await registry.publishDevice(device);
  return {
    device: { userId: record.userId, deviceId: device.deviceId, publicKey: keys.signing.publicKey, publicBoxKey: keys.box.publicKey, addresses },
    signingKey: keys.signing,
    boxKey: keys.box,
  };
}

// Alice: a socket.io server on a port of her own, published in her device record.
const server = http.createServer();
const sockets = new Server(server);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const alicePort = server.address().port;
const alice = await registerPeer('Alice', [`127.0.0.1:${alicePort}`]);
const bob = await registerPeer('Bob', []);
const trust = [registryTrust(registry)];

const aliceSide = new Promise((resolve, reject) => {
  sockets.on('connection', (socket) => acceptPeer(socket, { me: alice, trust }).then(resolve, reject));
});

// Bob looks Alice's device up in the registry (verified) and dials the address it lists.
const [aliceDevice] = await registry.devices(alice.device.userId);
const dialled = aliceDevice.addresses[0];
const bobSide = await connectPeer(io(`http://${dialled}`, { transports: ['websocket'] }), { me: bob, dialledAddress: dialled, expectedUserId: alice.device.userId, trust });
const aliceResult = await aliceSide;
console.log(`Bob reached ${bobSide.peer.userId} (trust: ${bobSide.trust.source}, level ${bobSide.trust.levelName})`);
console.log(`Alice accepted ${aliceResult.peer.userId} (trust: ${aliceResult.trust.source}, level ${aliceResult.trust.levelName})`);

const reply = new Promise((resolve) => bobSide.channel.onMessage(resolve));
aliceResult.channel.onMessage((message) => aliceResult.channel.send({ echo: message }));
bobSide.channel.send({ text: 'hello over the secure channel' });
console.log(`Bob got back: ${JSON.stringify(await reply)}`);

bobSide.channel.close();
sockets.close();
