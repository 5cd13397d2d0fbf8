// Per-subject write budgets (DESIGN.md §6, "Rate limits"): identity writes per userId, device
// writes per userId, group writes per groupId. Accepted writes reach 429 RATE_LIMITED at exactly
// the configured budget; refused writes of every kind (400, 409, 422) and recoveries use none of
// it. The same holds with the counts in Redis, shared by two registry processes.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newPeersId } from '../../src/protocol/ids.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord, createSuccessorRecord } from '../../src/sdk/records.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { asMember, foundGroup, groupUpdate, registeredPerson } from '../helpers/groups.js';
import { api, type Reply } from '../helpers/http.js';
import { expectProblem, type Client } from '../helpers/hostile-http.js';
import { newIdentity, nextRecord } from '../helpers/identities.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const BUDGETS = { RATE_LIMIT_USER_WRITES: '3/1h', RATE_LIMIT_DEVICE_WRITES: '2/1h', RATE_LIMIT_GROUP_WRITES: '2/1h', RATE_LIMIT_IP_WRITES: '1000/1m' };

/** A 429 as DESIGN.md §6 has it, from the named budget: RateLimit r=0 for it, Retry-After in seconds. */
function expectRateLimited(reply: Reply, policy: string, context: string): void {
  expectProblem(reply, 429, 'RATE_LIMITED', context);
  expect(reply.headers.get('ratelimit') ?? '').toContain(`"${policy}"; r=0;`);
  expect(reply.headers.get('ratelimit-policy') ?? '').toContain(`"${policy}"; q=`);
  expect(reply.headers.get('retry-after') ?? '').toMatch(/^\d+$/);
}

/** The status, with the context and the body shown when it differs. */
function expectStatus(reply: Reply, status: number, context: string): void {
  expect({ context, status: reply.status, text: reply.text }).toMatchObject({ context, status });
}

/**
 * The three scenarios, writing through the registries at `urls` in turn (one registry, or two
 * sharing Redis), so consecutive writes of one subject land on alternating processes.
 */
function scenarios(urls: () => string[]): void {
  const on = (i: number): Client => api(urls()[i % urls().length]!);

  it('identity writes: the 3rd accepted write uses the budget up, refused writes and a recovery use none of it', async () => {
    const victim = await newIdentity({ rotationKeys: 2 });
    const path = `/v1/users/${victim.userId}`;
    const genesis = await on(0).post('/v1/users', victim.head);
    expectStatus(genesis, 201, 'genesis');
    expect(genesis.headers.get('ratelimit') ?? '').toContain('"user-writes-3-in-3600s"; r=2;');

    // Refused, each on both processes: not JSON, breaks the schema, bad signature.
    for (let i = 0; i < 2; i++) {
      expectProblem(await on(i).post(path, '{'), 400, 'MALFORMED', 'not JSON');
      expectProblem(await on(i).post(path, {}), 400, 'INVALID_RECORD', 'empty record');
      const spoiled = { ...(await nextRecord(victim)), sig: (await nextRecord(victim, { name: 'not what was signed' })).sig };
      expectProblem(await on(i).post(path, spoiled), 422, 'BAD_SIGNATURE', 'bad signature');
    }

    const update = await nextRecord(victim, { signingKey: generateSigningKeyPair() });
    expectStatus(await on(1).post(path, update), 200, 'first update');
    // A stale update (built on the genesis, by the same weak key): 409, a fork attempt refused.
    expectProblem(await on(0).post(path, await nextRecord(victim, { name: 'stale' })), 409, 'PREV_MISMATCH', 'stale update');
    victim.records.push(update);

    // The owner's recovery from the genesis with the strongest key: accepted, and not counted.
    const recovery = await createSuccessorRecord({ previous: victim.records[0]!, signingKey: generateSigningKeyPair(), signer: victim.rotation[0]! });
    expectStatus(await on(0).post(path, recovery), 200, 'recovery');
    victim.records.splice(1, 1, recovery);

    const third = await nextRecord(victim, { signingKey: generateSigningKeyPair() });
    expectStatus(await on(1).post(path, third), 200, 'the third counted write (genesis, update, this)');
    victim.records.push(third);
    expectRateLimited(await on(0).post(path, await nextRecord(victim, { signingKey: generateSigningKeyPair() })), 'user-writes-3-in-3600s', 'a fourth');
    expectRateLimited(await on(1).post(path, await nextRecord(victim, { signingKey: generateSigningKeyPair() })), 'user-writes-3-in-3600s', 'a fourth, other process');
    const lookup = await on(0).get(path);
    expect(lookup.body.entries.map((e: { record: unknown }) => e.record)).toEqual([victim.records[0], recovery, third]);
  });

  it('device writes: the 2nd stored record uses the budget up; 400, 409 and 422 use none of it', async () => {
    const owner = await newIdentity();
    expectStatus(await on(0).post('/v1/users', owner.head), 201, 'genesis');
    const device = (deviceId = newPeersId(), signingKey = owner.signing) =>
      createDeviceRecord({ userId: owner.userId, deviceId, addresses: ['192.168.1.20:5000'], signingKey });
    const put = (i: number, record: { deviceId: string }) => on(i).put(`/v1/users/${owner.userId}/devices/${record.deviceId}`, record);

    const first = await device();
    expectStatus(await put(1, first), 200, 'first device');
    for (let i = 0; i < 2; i++) {
      expectProblem(await put(i, first), 409, 'STALE_DEVICE', 'the same record again');
      const deviceId = newPeersId();
      expectProblem(await on(i).put(`/v1/users/${owner.userId}/devices/${deviceId}`, {}), 400, 'INVALID_RECORD', 'empty record');
      expectProblem(await put(i, await device(deviceId, generateSigningKeyPair())), 422, 'UNAUTHORIZED_SIGNER', 'another key');
    }
    expectStatus(await put(0, await device()), 200, 'second device');
    expectRateLimited(await put(1, await device()), 'device-writes-2-in-3600s', 'a third device');
    expectRateLimited(await put(0, await device()), 'device-writes-2-in-3600s', 'a third device, other process');
    expect((await on(0).get(`/v1/users/${owner.userId}/devices`)).body.devices).toHaveLength(2);
  });

  it('group writes: the 2nd accepted record uses the budget up; 400 and 422 use none of it', async () => {
    const founder = await registeredPerson(urls()[0]!, 'founder');
    const member = await registeredPerson(urls()[0]!, 'member');
    const stranger = await registeredPerson(urls()[0]!, 'stranger');
    const genesis = await foundGroup(founder, 'budgeted');
    expectStatus(await on(1).post('/v1/groups', genesis), 201, 'genesis');
    const path = `/v1/groups/${genesis.groupId}`;
    for (let i = 0; i < 2; i++) {
      expectProblem(await on(i).post(path, {}), 400, 'INVALID_RECORD', 'empty record');
      expectProblem(await on(i).post(path, await groupUpdate(genesis, stranger, [...genesis.members, asMember(stranger, 'admin')])), 422, 'UNAUTHORIZED_SIGNER', 'not a member');
    }
    const update = await groupUpdate(genesis, founder, [...genesis.members, asMember(member, 'reader')]);
    expectStatus(await on(0).post(path, update), 200, 'first update');
    const next = await groupUpdate(update, founder, [...genesis.members, asMember(member, 'writer')]);
    expectRateLimited(await on(1).post(path, next), 'group-writes-2-in-3600s', 'second update');
    expectRateLimited(await on(0).post(path, next), 'group-writes-2-in-3600s', 'second update, other process');
  });
}

describe('write budgets in one registry process (memory store)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({ env: { RATE_LIMITS: 'on', ...BUDGETS } });
  }, 120_000);
  afterAll(() => registry?.close(), 120_000);

  scenarios(() => [registry.url]);
});

const describeWithRedis = process.env['REDIS_URL'] ? describe : describe.skip;

describeWithRedis('write budgets shared through Redis by two registry processes', () => {
  const redisUrl = process.env['REDIS_URL']!;
  // Unique per run, so counters that earlier runs left in Redis never interfere.
  const redisPrefix = `peerkeys-test:${randomBytes(8).toString('hex')}:`;
  let database: TestDatabase;
  let first: TestRegistry;
  let second: TestRegistry;

  beforeAll(async () => {
    database = await openTestDatabase();
    const env = { RATE_LIMITS: 'on', ...BUDGETS, REDIS_URL: redisUrl };
    first = await startTestRegistry({ database, redisPrefix, env });
    second = await startTestRegistry({ database, redisPrefix, env, logSeed: first.logSeed });
  }, 120_000);
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.close();
    const redis = new Redis(redisUrl);
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${redisPrefix}*`, count: 1000 })) keys.push(...(batch as string[]));
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }, 120_000);

  scenarios(() => [first.url, second.url]);
});
