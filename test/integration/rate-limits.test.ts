// Rate limits (DESIGN.md §6, §9): 429 RATE_LIMITED with the standard RateLimit headers; per-IP
// read budgets, per-userId write budgets that only accepted writes use up, and — with Redis —
// one budget shared by every registry process.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { api, request, type Reply } from '../helpers/http.js';
import { expectProblem, type Client } from '../helpers/hostile-http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { startTestRegistry, useTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

/**
 * Runs `work` with the clock (Date, as the rate limiter's store reads it) moved `ms` ahead, and
 * still running: a window ends without the test waiting for it. Timers stay real.
 */
async function later<T>(ms: number, work: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: Date.now() + ms,
    advanceTimers: true,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  try {
    return await work();
  } finally {
    jest.useRealTimers();
  }
}

/** A 429 as DESIGN.md §6 has it: problem+json RATE_LIMITED, RateLimit and RateLimit-Policy headers, Retry-After in seconds. */
function expectRateLimited(reply: Reply, context: string): number {
  expectProblem(reply, 429, 'RATE_LIMITED', context);
  expectWith(reply.headers.get('ratelimit'), context).toMatch(/\br=0\b/);
  expectWith(reply.headers.get('ratelimit-policy'), context).toBeTruthy();
  const retryAfter = reply.headers.get('retry-after') ?? '';
  expectWith(retryAfter, context).toMatch(/^\d+$/);
  return Number(retryAfter);
}

/** The remaining count the RateLimit header announces (r=N). */
function remaining(reply: Reply): number {
  const match = /\br=(\d+)/.exec(reply.headers.get('ratelimit') ?? '');
  expectWith(match, `RateLimit: ${reply.headers.get('ratelimit')}`).not.toBeNull();
  return Number(match![1]);
}

describe('per-IP read budget (RATE_LIMIT_IP_READS=3/2s)', () => {
  const registry = useTestRegistry({ env: { RATE_LIMITS: 'on', RATE_LIMIT_IP_READS: '3/2s' } });
  const client: Client = api(() => registry.app);

  it('the 4th read in the window is 429 RATE_LIMITED with RateLimit headers; after the window, reads work again', async () => {
    const paths = ['/v1/log/checkpoint', '/v1/registry', '/v1/log/entries?start=0&limit=1'];
    const first: Reply[] = [];
    for (const path of paths) first.push(await client.get(path));
    first.forEach((reply, i) => {
      expectWith(reply.status, `${paths[i]} → ${reply.text}`).toBe(200);
      expect(reply.headers.get('ratelimit-policy')).toMatch(/\bq=3\b.*\bw=2\b/);
      expect(remaining(reply)).toBe(2 - i);
    });

    const retryAfter = expectRateLimited(await client.get('/v1/log/checkpoint'), '4th read');
    expect(retryAfter).toBeGreaterThanOrEqual(0);
    expect(retryAfter).toBeLessThanOrEqual(2);
    // The budget is per client address, whatever the route; X-Forwarded-For is not believed (TRUST_PROXY=0).
    expectRateLimited(await client.get('/v1/users/0000000000zzzzzzzzzzzzzzz'), 'a read of another route');
    expectRateLimited(await request(registry.app, 'GET', '/v1/registry', undefined, { 'x-forwarded-for': '203.0.113.7' }), 'a spoofed X-Forwarded-For');

    // Writes have their own budget.
    const writer = await newIdentity();
    expect((await client.post('/v1/users', writer.head)).status).toBe(201);

    const again = await later(retryAfter * 1000 + 250, () => client.get('/v1/log/checkpoint'));
    expectWith(again.status, again.text).toBe(200);
    expect(remaining(again)).toBe(2);
  });
});

describe('per-userId write budget (RATE_LIMIT_USER_WRITES=2/1h)', () => {
  // Identities are registered through a second, unlimited registry on the same database, so the
  // limited one sees only the updates under test (a genesis is a write for its userId too).
  const setup = useTestRegistry();
  const limited = useTestRegistry(() => ({ database: setup.database, logSeed: setup.logSeed, env: { RATE_LIMITS: 'on', RATE_LIMIT_USER_WRITES: '2/1h' } }));
  const client: Client = api(() => limited.app);

  async function registered(options: Parameters<typeof newIdentity>[0] = {}): Promise<TestIdentity> {
    const identity = await newIdentity(options);
    const reply = await setup.api.post('/v1/users', identity.head);
    expectWith(reply.status, reply.text).toBe(201);
    return identity;
  }

  async function update(identity: TestIdentity): Promise<Reply> {
    const record = await nextRecord(identity, { signingKey: generateSigningKeyPair() });
    const reply = await client.post(`/v1/users/${identity.userId}`, record);
    if (reply.status === 200) identity.records.push(record);
    return reply;
  }

  it('refused writes use none of it; two accepted updates use it up; another user can still write', async () => {
    const alice = await registered();
    const bob = await registered();

    // Three refused writes for alice (bad signature): 422 each, and they use none of her budget.
    for (let i = 0; i < 3; i++) {
      const record = await nextRecord(alice);
      const spoiled = { ...record, sig: (await nextRecord(alice, { name: `not signed ${i}` })).sig };
      expectProblem(await client.post(`/v1/users/${alice.userId}`, spoiled), 422, 'BAD_SIGNATURE', `refused write ${i}`);
    }

    for (let i = 0; i < 2; i++) {
      const reply = await update(alice);
      expectWith(reply.status, `accepted update ${i}: ${reply.text}`).toBe(200);
    }
    const third = await update(alice);
    expectRateLimited(third, 'third update of alice');
    const lookup = await client.get(`/v1/users/${alice.userId}`);
    expect(lookup.body.entries).toHaveLength(3);

    const other = await update(bob);
    expectWith(other.status, other.text).toBe(200);
  });

  it('a recovery by a stronger rotation key is not blocked by a budget the weaker key used up', async () => {
    // The weakest rotation key (stolen, say) spends the user's budget on two updates; the owner's
    // recovery from the genesis, signed by the strongest key, must still get through.
    const carol = await registered({ rotationKeys: 2 });
    const genesis = carol.head;
    for (let i = 0; i < 2; i++) expect((await update(carol)).status).toBe(200);
    expectRateLimited(await update(carol), 'a third update by the weak key');

    const recovery = await createSuccessorRecord({ previous: genesis, signingKey: generateSigningKeyPair(), signer: carol.rotation[0]! });
    const reply = await client.post(`/v1/users/${carol.userId}`, recovery);
    expectWith(reply.status, reply.text).toBe(200);
    const lookup = await client.get(`/v1/users/${carol.userId}`);
    expect(lookup.body.entries.map((e: { record: unknown }) => e.record)).toEqual([genesis, recovery]);
  });
});

(!process.env['REDIS_URL'] ? describe.skip : describe)('rate limits shared through Redis by two registry processes', () => {
  const redisUrl = process.env['REDIS_URL']!;
  // Unique per run, so counters that earlier runs left in Redis never interfere.
  const redisPrefix = `peerkeys-test:${randomBytes(8).toString('hex')}:`;
  let database: TestDatabase;
  let first: TestRegistry;
  let second: TestRegistry;
  /** Unlimited, on the same database: registers identities and reads without touching the shared counters. */
  let setup: TestRegistry;

  beforeAll(async () => {
    database = await openTestDatabase();
    const env = { RATE_LIMITS: 'on', RATE_LIMIT_IP_READS: '4/1m', RATE_LIMIT_USER_WRITES: '2/1h', REDIS_URL: redisUrl };
    first = await startTestRegistry({ listen: false, database, redisPrefix, env });
    second = await startTestRegistry({ listen: false, database, redisPrefix, env, logSeed: first.logSeed });
    setup = await startTestRegistry({ listen: false, database, logSeed: first.logSeed });
  }, 120_000);
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await setup?.close();
    await database?.close();
    const redis = new Redis(redisUrl);
    const keys = await ourKeys(redis);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }, 120_000);

  async function ourKeys(redis: Redis): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${redisPrefix}*`, count: 1000 })) keys.push(...(batch as string[]));
    return keys;
  }

  it('alternating reads between the two instances hit 429 after 4 in total', async () => {
    const clients = [first.api, second.api];
    for (let i = 0; i < 4; i++) {
      const reply = await clients[i % 2]!.get('/v1/log/checkpoint');
      expectWith(reply.status, `read ${i + 1} (instance ${(i % 2) + 1}): ${reply.text}`).toBe(200);
      expect(remaining(reply)).toBe(3 - i);
    }
    expectRateLimited(await clients[0]!.get('/v1/log/checkpoint'), '5th read, instance 1');
    expectRateLimited(await clients[1]!.get('/v1/registry'), '6th read, instance 2');
  });

  it('the per-userId write budget is shared too, and refused writes on either instance use none of it', async () => {
    const clients = [first.api, second.api];
    const alice = await newIdentity();
    expect((await setup.api.post('/v1/users', alice.head)).status).toBe(201);
    const path = `/v1/users/${alice.userId}`;
    const spoiled = async () => ({ ...(await nextRecord(alice)), sig: (await nextRecord(alice, { name: 'not what was signed' })).sig });
    const accept = async (client: Client) => {
      const record = await nextRecord(alice, { signingKey: generateSigningKeyPair() });
      const reply = await client.post(path, record);
      if (reply.status === 200) alice.records.push(record);
      return reply;
    };

    expectProblem(await clients[1]!.post(path, await spoiled()), 422, 'BAD_SIGNATURE', 'refused on instance 2');
    expect((await accept(clients[0]!)).status).toBe(200);
    expectProblem(await clients[0]!.post(path, await spoiled()), 422, 'BAD_SIGNATURE', 'refused on instance 1');
    expectProblem(await clients[1]!.post(path, await spoiled()), 422, 'BAD_SIGNATURE', 'refused on instance 2 again');
    expect((await accept(clients[1]!)).status).toBe(200);
    expectRateLimited(await accept(clients[0]!), 'third accepted-looking update, instance 1');
    expectRateLimited(await accept(clients[1]!), 'fourth, instance 2');
    expect((await setup.api.get(path)).body.entries).toHaveLength(3);
  });

  it('only a well-formed userId becomes a per-user budget key: refused junk leaves no huge key in Redis', async () => {
    // The per-user budget is keyed on the userId before the record is validated. A junk "userId"
    // must not become a key (here 100 KB, kept for the budget's whole window) in the shared store.
    expectProblem(await first.api.post('/v1/users', { type: 'identity', userId: 'a'.repeat(100_000) }), 400, 'INVALID_RECORD', 'junk userId in a body');
    expectProblem(await request(second.app, 'POST', `/v1/users/${'b'.repeat(8_000)}`, '{}'), 400, 'MALFORMED', 'junk userId in a path');
    const redis = new Redis(redisUrl);
    try {
      const keys = await ourKeys(redis);
      expect(keys.length).toBeGreaterThan(0); // the per-IP budgets live here
      const oversized = keys.filter((key) => key.length > redisPrefix.length + 100);
      expect(oversized.map((key) => `${key.slice(0, 60)}… (${key.length} characters)`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
