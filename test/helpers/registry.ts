/** A real registry on a random port, on its own test database, for integration and SDK tests. */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { readConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/server/clock.js';
import { logKeyFromSeed } from '../../src/server/log/log-key.js';
import { RegistryService } from '../../src/service.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export interface TestRegistry {
  url: string;
  service: RegistryService;
  database: TestDatabase;
  config: Config;
  /** The log key's seed, for tests that forge or check checkpoints. */
  logSeed: Uint8Array;
  close(): Promise<void>;
}

export interface TestRegistryOptions {
  clock?: Clock;
  /** Extra environment, e.g. { RATE_LIMITS: 'on', RATE_LIMIT_IP_READS: '3/1s' }. */
  env?: Record<string, string>;
  /** Share a database between several registries (multi-process tests). */
  database?: TestDatabase;
  logSeed?: Uint8Array;
  redisPrefix?: string;
  httpTimeouts?: { headersMs: number; requestMs: number };
}

/** A mutable clock for tests that move time. */
export function testClock(start = Date.now()): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    set: (ms) => void (now = ms),
    advance: (ms) => void (now += ms),
  };
}

export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'silent', LOG_ORIGIN: 'test.example/peerkeys', ...options.env });
  const database = options.database ?? (await openTestDatabase());
  const logSeed = options.logSeed ?? new Uint8Array(randomBytes(32));
  const service = await RegistryService.create(config, {
    database: database.db,
    logKey: logKeyFromSeed(config.log.origin, logSeed),
    logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.redisPrefix !== undefined ? { redisPrefix: options.redisPrefix } : {}),
    ...(options.httpTimeouts !== undefined ? { httpTimeouts: options.httpTimeouts } : {}),
  });
  const url = await service.start();
  return {
    url,
    service,
    database,
    config,
    logSeed,
    async close() {
      await service.destroy();
      if (options.database === undefined) await database.close();
    },
  };
}
