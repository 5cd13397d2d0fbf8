// Sealed device addresses (DESIGN.md §3.1) through a real registry: recipients open them, a
// non-recipient and the registry cannot (its stored bytes hold no address), hostile shapes are
// 400 INVALID_RECORD, and the handshake dials an address that only the sealed list names.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nacl from 'tweetnacl';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceSigningInput, type DeviceRecord } from '../../src/protocol/device.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import {
  RegistryClient,
  acceptPeer,
  anchorTrust,
  connectPeer,
  createDeviceRecord,
  createIdentityRecord,
  deviceAddresses,
  generateBoxKeyPair,
  generateIdentityKeys,
  openDeviceAddresses,
  registryTrust,
  signerFor,
  type HandshakeIdentity,
  type HandshakeResult,
  type IdentityKeys,
} from '../../src/sdk/index.js';
import { expectProblem } from '../helpers/hostile-http.js';
import { api } from '../helpers/http.js';
import { Contract } from '../helpers/openapi-contract.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let client: RegistryClient;

interface Person {
  userId: string;
  keys: IdentityKeys;
}

async function person(name: string): Promise<Person> {
  const keys = generateIdentityKeys();
  const record = await createIdentityRecord(keys, { name });
  await client.register(record);
  return { userId: record.userId, keys };
}

let alice: Person;
let bob: Person;
let carol: Person;
let mallory: Person;

// Alice listens on loopback; the address is in her device record only sealed, to Bob and Carol.
let server: http.Server;
let sockets: Server;
let secretAddress: string;
let device: DeviceRecord;

beforeAll(async () => {
  registry = await startTestRegistry();
  client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
  [alice, bob, carol, mallory] = (await Promise.all(['Alice', 'Bob', 'Carol', 'Mallory'].map(person))) as [Person, Person, Person, Person];
  server = http.createServer();
  sockets = new Server(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  secretAddress = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  device = await createDeviceRecord({
    userId: alice.userId,
    addresses: ['https://alice.example:4443'], // a public address can stand beside sealed ones
    sealedAddresses: { addresses: [secretAddress], recipients: [bob.keys.box.publicKey, carol.keys.box.publicKey] },
    signingKey: alice.keys.signing,
  });
  expect(await client.publishDevice(device)).toEqual(device);
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => sockets?.close(() => resolve()));
  await registry?.close();
}, 120_000);

describe('who reads a sealed address', () => {
  it('Bob and Carol, the recipients, open it from the verified device list', async () => {
    const [listed] = await client.devices(alice.userId);
    expect(listed).toEqual(device);
    expect(openDeviceAddresses(listed!, bob.keys.box)).toEqual([secretAddress]);
    expect(openDeviceAddresses(listed!, carol.keys.box)).toEqual([secretAddress]);
    expect(deviceAddresses(listed!, bob.keys.box)).toEqual(['https://alice.example:4443', secretAddress]);
  });

  it('Mallory, not a recipient, gets nothing: only the public address', async () => {
    const [listed] = await client.devices(alice.userId);
    expect(openDeviceAddresses(listed!, mallory.keys.box)).toBeNull();
    expect(deviceAddresses(listed!, mallory.keys.box)).toEqual(['https://alice.example:4443']);
  });

  it('the registry cannot: what it stores and serves names no sealed address', async () => {
    const host = secretAddress.split(':')[0]!;
    const rows = await registry.database.db.prisma.device.findMany({ where: { userId: alice.userId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.record).not.toContain(secretAddress);
    expect(rows[0]!.record).not.toContain(host);
    expect(rows[0]!.record).toContain(bob.keys.box.publicKey); // the recipient list is public
    const logged = await registry.database.db.prisma.logEntry.findMany({ select: { record: true } });
    for (const entry of logged) expect(entry.record).not.toContain(host);
    const served = await api(registry.url).get(`/v1/users/${alice.userId}/devices`);
    expect(served.text).not.toContain(host);
  });
});

describe('the contract', () => {
  it('openapi.yaml’s DeviceRecord takes a sealed record as the SDK builds it, and refuses 33 recipients', () => {
    const contract = new Contract();
    const schema = contract.resolve(contract.operation('put', '/v1/users/{userId}/devices/{deviceId}')['requestBody'])['content']['application/json'].schema;
    expect(contract.errors(schema, device)).toEqual([]);
    const sealed = device.sealedAddresses!;
    const crowded = { ...device, sealedAddresses: { ...sealed, recipients: Array.from({ length: 33 }, () => ({ ...sealed.recipients[0]!, publicBoxKey: generateBoxKeyPair().publicKey })) } };
    expect(contract.errors(schema, crowded)).not.toEqual([]);
    expect(contract.errors(schema, { ...device, sealedAddresses: { ...sealed, nonce: 'AAAA' } })).not.toEqual([]);
  });
});

describe('hostile sealed addresses are refused before anything is stored', () => {
  /** Alice's own device record with `sealedAddresses` replaced, correctly signed: only the schema can refuse it. */
  async function signedWith(sealedAddresses: unknown): Promise<object> {
    const { sig: _sig, ...unsigned } = await createDeviceRecord({ userId: alice.userId, addresses: [], sealedAddresses: { addresses: ['10.0.0.1:1'], recipients: [bob.keys.box.publicKey] }, signingKey: alice.keys.signing });
    const edited = { ...unsigned, sealedAddresses } as Omit<DeviceRecord, 'sig'>;
    return { ...edited, sig: toBase64Url(await signerFor(alice.keys.signing)(deviceSigningInput(edited))) };
  }

  it.each([
    ['33 recipients', (s: NonNullable<DeviceRecord['sealedAddresses']>) => ({ ...s, recipients: Array.from({ length: 33 }, () => ({ publicBoxKey: generateBoxKeyPair().publicKey, key: s.recipients[0]!.key })) })],
    ['a wrapped key of 47 bytes', (s: NonNullable<DeviceRecord['sealedAddresses']>) => ({ ...s, recipients: [{ ...s.recipients[0]!, key: toBase64Url(nacl.randomBytes(47)) }] })],
    ['a box over 2064 bytes', (s: NonNullable<DeviceRecord['sealedAddresses']>) => ({ ...s, box: toBase64Url(nacl.randomBytes(2065)) })],
    ['no recipient', (s: NonNullable<DeviceRecord['sealedAddresses']>) => ({ ...s, recipients: [] })],
    ['a small-order recipient key', (s: NonNullable<DeviceRecord['sealedAddresses']>) => ({ ...s, recipients: [{ ...s.recipients[0]!, publicBoxKey: toBase64Url(new Uint8Array(32)) }] })],
  ])('%s: 400 INVALID_RECORD', async (_what, edit) => {
    const base = await createDeviceRecord({ userId: alice.userId, addresses: [], sealedAddresses: { addresses: ['10.0.0.1:1'], recipients: [bob.keys.box.publicKey] }, signingKey: alice.keys.signing });
    const record = (await signedWith(edit(base.sealedAddresses!))) as DeviceRecord;
    const reply = await api(registry.url).put(`/v1/users/${alice.userId}/devices/${record.deviceId}`, record);
    expectProblem(reply, 400, 'INVALID_RECORD');
    expect(await registry.database.db.prisma.device.count({ where: { deviceId: record.deviceId } })).toBe(0);
  });

  it('a recipient list changed by anyone but the user: 422 BAD_SIGNATURE (the signature covers it)', async () => {
    const record = await createDeviceRecord({ userId: alice.userId, addresses: [], sealedAddresses: { addresses: ['10.0.0.1:1'], recipients: [bob.keys.box.publicKey] }, signingKey: alice.keys.signing });
    const swapped = { ...record, sealedAddresses: { ...record.sealedAddresses!, recipients: [{ ...record.sealedAddresses!.recipients[0]!, publicBoxKey: mallory.keys.box.publicKey }] } };
    expectProblem(await api(registry.url).put(`/v1/users/${alice.userId}/devices/${record.deviceId}`, swapped), 422, 'BAD_SIGNATURE');
  });
});

describe('the handshake dials a sealed address', () => {
  it('Bob opens Alice’s sealed address, dials it, and both sides complete the handshake (Alice’s keys confirmed by her anchor)', async () => {
    const me = (p: Person, addresses: string[]): HandshakeIdentity => ({
      device: { userId: p.userId, deviceId: newPeersId(), publicKey: p.keys.signing.publicKey, publicBoxKey: p.keys.box.publicKey, addresses },
      signingKey: p.keys.signing,
      boxKey: p.keys.box,
    });
    // Alice signs her own addresses, the private one among them, in the server-hello.
    const aliceMe = me(alice, [secretAddress]);
    aliceMe.device.deviceId = device.deviceId;
    const aliceSide = new Promise<HandshakeResult>((resolve, reject) => {
      sockets.once('connection', (socket) => acceptPeer(socket, { me: aliceMe, trust: [registryTrust(client)] }).then(resolve, reject));
    });

    const [listed] = await client.devices(alice.userId);
    const dialled = openDeviceAddresses(listed!, bob.keys.box)![0]!;
    expect(dialled).toBe(secretAddress);
    const bobSide = await connectPeer(connect(`http://${dialled}`, { transports: ['websocket'], forceNew: true }), {
      me: me(bob, []),
      dialledAddress: dialled,
      expectedUserId: alice.userId,
      trust: [anchorTrust([client])],
    });
    const aliceResult = await aliceSide;
    expect(bobSide.peer).toMatchObject({ userId: alice.userId, deviceId: device.deviceId, addresses: [secretAddress] });
    expect(bobSide.trust).toMatchObject({ source: 'anchors', levelName: 'Known', blind: false });
    expect(aliceResult.peer.userId).toBe(bob.userId);

    const echoed = new Promise((resolve) => bobSide.channel.onMessage(resolve));
    aliceResult.channel.onMessage((message) => aliceResult.channel.send({ echo: message }));
    bobSide.channel.send({ hello: 'over a sealed address' });
    expect(await echoed).toEqual({ echo: { hello: 'over a sealed address' } });
    bobSide.channel.close();
  });
});
