// The per-userId write budget's skip hook (rate-limits.ts): asked once per request that a window refuses, however many
// budgets there are, and a hook that throws or rejects means "the budget applies", never a 500.
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import { pino } from 'pino';
import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../src/config.js';
import { createRateLimiters } from '../../src/server/http/rate-limits.js';

async function withLimitedApp(
  userWrites: string,
  skipUserBudget: (req: Request) => boolean | Promise<boolean>,
  run: (post: () => Promise<number>) => Promise<void>,
  isRecovery: () => boolean = () => false,
): Promise<void> {
  const config = readConfig({ RATE_LIMITS: 'on', RATE_LIMIT_USER_WRITES: userWrites });
  const limits = createRateLimiters(config.rateLimits, { redis: null, redisPrefix: 'test:', logger: pino({ level: 'silent' }), skipUserBudget });
  const app = express();
  // Stands in for IdentityService: every write commits, and counts unless it was a recovery.
  app.post('/v1/users/:userId', express.json(), ...limits.userWrites, async (req, res) => {
    if (!isRecovery()) await limits.committed.userWrites.committed(String(req.params['userId']));
    res.json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/users/0000000000aaaaaaaaaaaaaaa`;
  try {
    await run(async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('skipUserBudget', () => {
  it('is asked once per request the budget would refuse, whatever the number of budgets, and not of one within budget', async () => {
    let asked = 0;
    await withLimitedApp('1/1h,5/1d', () => (asked++, true), async (post) => {
      // The first write is within budget: no question (for identity writes, a database read).
      expect(await post()).toBe(200);
      expect(asked).toBe(0);
      for (let i = 0; i < 3; i++) expect(await post()).toBe(200);
    });
    expect(asked).toBe(3);
  });

  it('a skipped request neither uses the budget nor is refused by it', async () => {
    let skip = false;
    await withLimitedApp('1/1h', () => skip, async (post) => {
      expect(await post()).toBe(200);
      expect(await post()).toBe(429);
      skip = true;
      expect(await post()).toBe(200);
      expect(await post()).toBe(200);
    }, () => skip);
  });

  it('a hook that throws or rejects means the budget applies, not a server error', async () => {
    for (const hook of [
      () => {
        throw new Error('database away');
      },
      () => Promise.reject(new Error('database away')),
    ]) {
      await withLimitedApp('1/1h', hook, async (post) => {
        expect(await post()).toBe(200);
        expect(await post()).toBe(429);
      });
    }
  });
});
