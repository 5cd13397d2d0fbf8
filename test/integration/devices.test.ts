// DESIGN.md §3 over HTTP: device records are latest-wins per (userId, deviceId), signed by the
// user's current publicKey, not chained and not logged.
import { describe, expect, it } from '@jest/globals';
import type { DeviceRecord } from '../../src/protocol/device.js';
import { deviceSigningInput } from '../../src/protocol/device.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { generateSigningKeyPair, signerFor } from '../../src/sdk/keys.js';
import { createDeviceRecord, type DeviceOptions } from '../../src/sdk/records.js';
import { api } from '../helpers/http.js';
import { expectProblem, logSize, type Client } from '../helpers/hostile-http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { testClock, useTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

const ago = (ms: number) => formatTimestamp(Date.now() - ms);

function device(identity: TestIdentity, options: Partial<DeviceOptions> = {}): Promise<DeviceRecord> {
  return createDeviceRecord({ userId: identity.userId, addresses: ['https://peer.example:8443'], signingKey: identity.signing, ...options });
}

function deviceClient(client: Client) {
  return {
    put: (record: DeviceRecord, path = `/v1/users/${record.userId}/devices/${record.deviceId}`) => client.put(path, record),
    async listed(userId: string): Promise<DeviceRecord[]> {
      const reply = await client.get(`/v1/users/${userId}/devices`);
      expectWith(reply.status, reply.text).toBe(200);
      expect(reply.body.userId).toBe(userId);
      return reply.body.devices;
    },
    async register(identity: TestIdentity): Promise<void> {
      const reply = await client.post('/v1/users', identity.head);
      expectWith(reply.status, reply.text).toBe(201);
    },
  };
}

const byDeviceId = (records: DeviceRecord[]) => [...records].sort((a, b) => a.deviceId.localeCompare(b.deviceId));

describe('device records over HTTP', () => {
  const registry = useTestRegistry();
  const client: Client = api(() => registry.app);
  const devices = deviceClient(client);

  it('PUT stores a record and answers 200 with it; GET lists it; the log does not grow', async () => {
    const alice = await newIdentity();
    await devices.register(alice);
    const size = await logSize(client);
    const laptop = await device(alice, { name: 'laptop', addresses: ['https://10.0.0.5:8443', '192.168.1.2:5000'], expiresAt: formatTimestamp(Date.now() + 86_400_000) });
    const reply = await devices.put(laptop);
    expectWith(reply.status, reply.text).toBe(200);
    expect(reply.body).toEqual(laptop);
    expect(await devices.listed(alice.userId)).toEqual([laptop]);

    const phone = await device(alice, { name: 'phone' });
    expect((await devices.put(phone)).status).toBe(200);
    expect(byDeviceId(await devices.listed(alice.userId))).toEqual(byDeviceId([laptop, phone]));
    expect(await logSize(client)).toBe(size);
  });

  it('a newer updatedAt replaces the stored record', async () => {
    const bob = await newIdentity();
    await devices.register(bob);
    const first = await device(bob, { updatedAt: ago(20_000), addresses: ['10.0.0.1:5000'] });
    const second = await device(bob, { deviceId: first.deviceId, updatedAt: ago(10_000), addresses: ['10.0.0.2:5000'], name: 'moved' });
    expect((await devices.put(first)).status).toBe(200);
    const reply = await devices.put(second);
    expectWith(reply.status, reply.text).toBe(200);
    expect(reply.body).toEqual(second);
    expect(await devices.listed(bob.userId)).toEqual([second]);
  });

  it('an older or equal updatedAt is 409 STALE_DEVICE and changes nothing', async () => {
    const carol = await newIdentity();
    await devices.register(carol);
    const stored = await device(carol, { updatedAt: ago(10_000), addresses: ['10.0.0.1:5000'] });
    expect((await devices.put(stored)).status).toBe(200);

    const older = await device(carol, { deviceId: stored.deviceId, updatedAt: ago(20_000), addresses: ['10.6.6.6:5000'] });
    expectProblem(await devices.put(older), 409, 'STALE_DEVICE', 'older');
    const equal = await device(carol, { deviceId: stored.deviceId, updatedAt: stored.updatedAt, addresses: ['10.6.6.6:5000'] });
    expectProblem(await devices.put(equal), 409, 'STALE_DEVICE', 'equal, different content');
    expectProblem(await devices.put(stored), 409, 'STALE_DEVICE', 'the same record again');
    expect(await devices.listed(carol.userId)).toEqual([stored]);
  });

  it('a signer that is not the user’s current publicKey is 422 UNAUTHORIZED_SIGNER; a sig by another key 422 BAD_SIGNATURE', async () => {
    const dave = await newIdentity({ rotationKeys: 2 });
    await devices.register(dave);
    for (const [label, key] of [
      ['the strongest rotation key', dave.rotation[0]!],
      ['the weakest rotation key', dave.rotation[1]!],
      ['a stranger’s key', generateSigningKeyPair()],
    ] as const) {
      expectProblem(await devices.put(await device(dave, { signingKey: key })), 422, 'UNAUTHORIZED_SIGNER', label);
    }
    // Naming the right signer is not enough: the signature must be its.
    const claimed = await device(dave);
    const { sig: _sig, ...unsigned } = claimed;
    const forgedSig = toBase64Url(await signerFor(dave.rotation[0]!)(deviceSigningInput(unsigned)));
    expectProblem(await devices.put({ ...claimed, sig: forgedSig }), 422, 'BAD_SIGNATURE', 'sig by a rotation key');
    expect(await devices.listed(dave.userId)).toEqual([]);
  });

  it('after the user rotates the signing key, old-key records are no longer listed and old-key writes are refused', async () => {
    const erin = await newIdentity();
    await devices.register(erin);
    const oldKey = erin.signing;
    const laptop = await device(erin, { updatedAt: ago(30_000) });
    expect((await devices.put(laptop)).status).toBe(200);
    expect(await devices.listed(erin.userId)).toEqual([laptop]);

    const newKey = generateSigningKeyPair();
    const rotation = await nextRecord(erin, { signingKey: newKey });
    expect((await client.post(`/v1/users/${erin.userId}`, rotation)).status).toBe(200);
    erin.records.push(rotation);
    erin.signing = newKey;

    expect(await devices.listed(erin.userId)).toEqual([]);
    const staleKeyUpdate = await device(erin, { deviceId: laptop.deviceId, signingKey: oldKey, updatedAt: ago(20_000) });
    expectProblem(await devices.put(staleKeyUpdate), 422, 'UNAUTHORIZED_SIGNER', 'old key, same device');
    expectProblem(await devices.put(await device(erin, { signingKey: oldKey })), 422, 'UNAUTHORIZED_SIGNER', 'old key, new device');
    expect(await devices.listed(erin.userId)).toEqual([]);

    const renewed = await device(erin, { deviceId: laptop.deviceId, updatedAt: ago(10_000) });
    expect((await devices.put(renewed)).status).toBe(200);
    expect(await devices.listed(erin.userId)).toEqual([renewed]);
  });

  it('a revoked identity refuses device writes: 409 REVOKED', async () => {
    const frank = await newIdentity();
    await devices.register(frank);
    const laptop = await device(frank, { updatedAt: ago(30_000) });
    expect((await devices.put(laptop)).status).toBe(200);
    const revocation = await nextRecord(frank, { status: 'revoked' });
    expect((await client.post(`/v1/users/${frank.userId}`, revocation)).status).toBe(200);

    expectProblem(await devices.put(await device(frank, { deviceId: laptop.deviceId, updatedAt: ago(10_000) })), 409, 'REVOKED', 'existing device');
    expectProblem(await devices.put(await device(frank)), 409, 'REVOKED', 'new device');
    // Whether a revoked user's devices are still listed is not fixed by §3; nothing new was stored.
    const listed = (await client.get(`/v1/users/${frank.userId}/devices`)).body.devices as DeviceRecord[];
    expect(listed.filter((d) => d.updatedAt !== laptop.updatedAt || d.deviceId !== laptop.deviceId)).toEqual([]);
  });

  it('a path and body that disagree on userId or deviceId: 400 INVALID_RECORD, nothing stored', async () => {
    const gina = await newIdentity();
    const hank = await newIdentity();
    await devices.register(gina);
    await devices.register(hank);
    const record = await device(gina);
    expectProblem(await devices.put(record, `/v1/users/${hank.userId}/devices/${record.deviceId}`), 400, 'INVALID_RECORD', 'userId');
    expectProblem(await devices.put(record, `/v1/users/${gina.userId}/devices/${newPeersId()}`), 400, 'INVALID_RECORD', 'deviceId');
    expect(await devices.listed(gina.userId)).toEqual([]);
    expect(await devices.listed(hank.userId)).toEqual([]);
  });

  it('a device of a user nobody registered: 404 NOT_FOUND, for PUT and GET', async () => {
    const ghost = await newIdentity();
    expectProblem(await devices.put(await device(ghost)), 404, 'NOT_FOUND', 'PUT');
    expectProblem(await client.get(`/v1/users/${ghost.userId}/devices`), 404, 'NOT_FOUND', 'GET');
  });

  it('at most 16 addresses: 17 is 400 INVALID_RECORD, 16 is accepted', async () => {
    const ivan = await newIdentity();
    await devices.register(ivan);
    const addresses = Array.from({ length: 17 }, (_, i) => `10.0.0.${i + 1}:5000`);
    const tooMany = await device(ivan, { addresses });
    expectProblem(await devices.put(tooMany), 400, 'INVALID_RECORD', '17 addresses');
    expect(await devices.listed(ivan.userId)).toEqual([]);
    const enough = await device(ivan, { deviceId: tooMany.deviceId, addresses: addresses.slice(0, 16) });
    expect((await devices.put(enough)).status).toBe(200);
  });

  it('two concurrent PUTs with different updatedAt: the newer one is stored, whatever the order', async () => {
    const judy = await newIdentity();
    await devices.register(judy);
    const rounds = 12;
    const expected: DeviceRecord[] = [];
    for (let round = 0; round < rounds; round++) {
      const older = await device(judy, { updatedAt: ago(20_000), addresses: [`10.1.${round}.1:5000`] });
      const newer = await device(judy, { deviceId: older.deviceId, updatedAt: ago(10_000), addresses: [`10.1.${round}.2:5000`] });
      const order = round % 2 === 0 ? [older, newer] : [newer, older];
      const [a, b] = await Promise.all(order.map((r) => devices.put(r)));
      const [olderReply, newerReply] = round % 2 === 0 ? [a!, b!] : [b!, a!];
      expectWith(newerReply.status, newerReply.text).toBe(200);
      if (olderReply.status !== 200) expectProblem(olderReply, 409, 'STALE_DEVICE', `round ${round}`);
      expected.push(newer);
    }
    expect(byDeviceId(await devices.listed(judy.userId))).toEqual(byDeviceId(expected));
  });

  it('twenty concurrent PUTs of one device: the newest is stored, each other is 200 or 409 STALE_DEVICE', async () => {
    const kate = await newIdentity();
    await devices.register(kate);
    const deviceId = newPeersId();
    const records = await Promise.all(Array.from({ length: 20 }, (_, i) => device(kate, { deviceId, updatedAt: ago(60_000 - i * 1000), addresses: [`10.2.0.${i}:5000`] })));
    const shuffled = records.map((r) => [Math.random(), r] as const).sort((x, y) => x[0] - y[0]).map(([, r]) => r);
    const replies = await Promise.all(shuffled.map((r) => devices.put(r)));
    replies.forEach((reply, i) => {
      if (shuffled[i] === records[19]) expectWith(reply.status, reply.text).toBe(200);
      else if (reply.status !== 200) expectProblem(reply, 409, 'STALE_DEVICE', `record ${records.indexOf(shuffled[i]!)}`);
    });
    expect(await devices.listed(kate.userId)).toEqual([records[19]]);
  });
});

describe('device expiry (time moved with a test clock)', () => {
  const clock = testClock();
  const registry = useTestRegistry({ clock });
  const client: Client = api(() => registry.app);
  const devices = deviceClient(client);

  it('a device is listed until its expiresAt, not after; a newer record brings it back', async () => {
    clock.set(Date.now());
    const lena = await newIdentity();
    await devices.register(lena);
    const start = clock.now();
    const expiring = await device(lena, { updatedAt: formatTimestamp(start), expiresAt: formatTimestamp(start + 60_000), name: 'expiring' });
    const lasting = await device(lena, { updatedAt: formatTimestamp(start), name: 'lasting' });
    expect((await devices.put(expiring)).status).toBe(200);
    expect((await devices.put(lasting)).status).toBe(200);
    expect(byDeviceId(await devices.listed(lena.userId))).toEqual(byDeviceId([expiring, lasting]));

    clock.set(start + 60_000 - 1);
    expect(byDeviceId(await devices.listed(lena.userId))).toEqual(byDeviceId([expiring, lasting]));
    clock.set(start + 60_000 + 1);
    expect(await devices.listed(lena.userId)).toEqual([lasting]);
    clock.advance(24 * 3_600_000);
    expect(await devices.listed(lena.userId)).toEqual([lasting]);

    const renewed = await device(lena, { deviceId: expiring.deviceId, updatedAt: formatTimestamp(clock.now()), name: 'renewed' });
    expect((await devices.put(renewed)).status).toBe(200);
    expect(byDeviceId(await devices.listed(lena.userId))).toEqual(byDeviceId([renewed, lasting]));
  });

  it('a record already expired when it arrives (inside the clock-skew window) is never listed', async () => {
    clock.set(Date.now());
    const mike = await newIdentity();
    await devices.register(mike);
    const now = clock.now();
    const expired = await device(mike, { updatedAt: formatTimestamp(now - 4 * 60_000), expiresAt: formatTimestamp(now - 60_000) });
    const reply = await devices.put(expired);
    expect(reply.status).toBeLessThan(500);
    expect(await devices.listed(mike.userId)).toEqual([]);
  });
});
