// The "freeze an owner's identity" attack on the per-userId, per-device-owner and per-groupId write
// budgets: on one keep-alive connection, pipelined large reads that are never read back, then
// pipelined writes for the victim that are refused (400), then a reset. The refused writes'
// responses are queued behind the unread ones and never sent. A budget that counts a write on
// arrival and refunds it on the response's finish/close never gets its refund, and the owner's
// correctly signed writes are refused with 429 for the rest of the window. The registry must count
// only committed writes, so the owner's budget stays whole whatever an attacker does.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readConfig } from '../../src/config.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { RegistryService } from '../../src/service.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord } from '../../src/sdk/records.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { asMember, foundGroup, groupUpdate, registeredPerson } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord } from '../helpers/identities.js';
import { observedServer, rawRequest, reset, send, unreadConnection, type ObservedServer, type RawRequest } from '../helpers/raw-http.js';

const READS = 10;
const REFUSED_WRITES = 12;

const REDIS_URL = process.env['REDIS_URL'];

describe('pipelined refused writes, responses never read, then a reset (counts in memory)', () => freezeAttack({}));

(REDIS_URL !== undefined && REDIS_URL !== '' ? describe : describe.skip)('pipelined refused writes, responses never read, then a reset (counts in Redis)', () =>
  freezeAttack({ REDIS_URL: REDIS_URL! }),
);

function freezeAttack(storeEnv: Record<string, string>): void {
  // Unique per run, so counters that earlier runs left in Redis never interfere.
  const redisPrefix = `peerkeys-test:${randomBytes(8).toString('hex')}:`;
  let database: TestDatabase;
  let service: RegistryService;
  let server: ObservedServer;

  beforeAll(async () => {
    database = await openTestDatabase();
    const config = readConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      LOG_ORIGIN: 'test.example/peerkeys',
      RATE_LIMITS: 'on',
      // The default per-user budget; ten writes for a device owner and for a group, so twelve
      // refused writes are more than either budget. Every request of the test comes from
      // 127.0.0.1, attacker and owner alike: the per-address budget is made large enough for both.
      RATE_LIMIT_USER_WRITES: '10/1h,30/1d',
      RATE_LIMIT_DEVICE_WRITES: '10/1h',
      RATE_LIMIT_GROUP_WRITES: '10/1h',
      RATE_LIMIT_IP_WRITES: '1000/1m',
      ...storeEnv,
    });
    service = await RegistryService.create(config, {
      database: database.db,
      redisPrefix,
      logKey: logKeyFromSeed(config.log.origin, new Uint8Array(randomBytes(32))),
      logger: pino({ level: 'silent' }),
    });
    server = await observedServer(service.app);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await service?.destroy();
    await database?.close();
    if (storeEnv['REDIS_URL'] !== undefined) {
      const redis = new Redis(storeEnv['REDIS_URL']);
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${redisPrefix}*`, count: 1000 })) keys.push(...(batch as string[]));
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  }, 120_000);

  /**
   * The attack as reported: ten GET /assets/page.js (about 600 kB each, uncompressed), then the
   * refused writes, all pipelined on one connection that never reads; once the server has handled
   * every request (their responses are ended, but queued behind the unread ones), a TCP reset.
   */
  async function pipelinedAttack(writes: RawRequest[]): Promise<void> {
    const socket = await unreadConnection(server.port);
    const handled = server.endedSoFar() + READS + writes.length;
    const reads = Array.from({ length: READS }, () => rawRequest({ method: 'GET', path: '/assets/page.js' }));
    await send(socket, [...reads, ...writes.map(rawRequest)].join(''));
    await server.responsesEnded(handled);
    await reset(socket);
  }

  it('the owner’s signed rotation and revocation still get 200 after twelve refused POST /v1/users/{victim}', async () => {
    const client = api(server.url);
    const victim = await newIdentity();
    expect((await client.post('/v1/users', victim.head)).status).toBe(201);

    await pipelinedAttack(Array.from({ length: REFUSED_WRITES }, () => ({ method: 'POST', path: `/v1/users/${victim.userId}`, body: '{}' })));

    const rotation = await nextRecord(victim, { signingKey: generateSigningKeyPair() });
    const rotated = await client.post(`/v1/users/${victim.userId}`, rotation);
    expect({ status: rotated.status, text: rotated.text }).toMatchObject({ status: 200 });
    victim.records.push(rotation);
    const revocation = await nextRecord(victim, { status: 'revoked' });
    const revoked = await client.post(`/v1/users/${victim.userId}`, revocation);
    expect({ status: revoked.status, text: revoked.text }).toMatchObject({ status: 200 });
    expect((await client.get(`/v1/users/${victim.userId}`)).body.status).toBe('revoked');
  });

  it('the owner’s signed device record still gets 200 after twelve refused PUT …/devices/{deviceId}', async () => {
    const client = api(server.url);
    const victim = await newIdentity();
    expect((await client.post('/v1/users', victim.head)).status).toBe(201);
    const deviceId = newPeersId();

    await pipelinedAttack(Array.from({ length: REFUSED_WRITES }, () => ({ method: 'PUT', path: `/v1/users/${victim.userId}/devices/${deviceId}`, body: '{}' })));

    const record = await createDeviceRecord({ userId: victim.userId, deviceId, addresses: ['192.168.1.20:5000'], signingKey: victim.signing });
    const stored = await client.put(`/v1/users/${victim.userId}/devices/${deviceId}`, record);
    expect({ status: stored.status, text: stored.text }).toMatchObject({ status: 200 });
    expect((await client.get(`/v1/users/${victim.userId}/devices`)).body.devices).toEqual([record]);
  });

  it('the group admin’s signed update still gets 200 after twelve refused POST /v1/groups/{groupId}', async () => {
    const client = api(server.url);
    const founder = await registeredPerson(server.url, 'founder');
    const member = await registeredPerson(server.url, 'member');
    const genesis = await foundGroup(founder, 'the group');
    expect((await client.post('/v1/groups', genesis)).status).toBe(201);

    await pipelinedAttack(Array.from({ length: REFUSED_WRITES }, () => ({ method: 'POST', path: `/v1/groups/${genesis.groupId}`, body: '{}' })));

    const update = await groupUpdate(genesis, founder, [...genesis.members, asMember(member, 'reader')]);
    const reply = await client.post(`/v1/groups/${genesis.groupId}`, update);
    expect({ status: reply.status, text: reply.text }).toMatchObject({ status: 200 });
    expect((await client.get(`/v1/groups/${genesis.groupId}`)).body.members).toHaveLength(2);
  });
}
