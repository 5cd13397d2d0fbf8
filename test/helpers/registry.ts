/**
 * A real registry on its own test database, for integration and SDK tests.
 *
 * `useTestRegistry()` is what a test file usually wants: it starts the registry before the file's
 * (or describe block's) tests and destroys it after them, and `registry.api` calls its Express app
 * through supertest with no port. Tests that need a listening server (the SDK, the CLI, a mirror,
 * a browser, raw sockets) ask for one: `useTestRegistry({ listen: true })` and `registry.url`.
 */
import { randomBytes } from 'node:crypto';
import type { afterAll as AfterAll, beforeAll as BeforeAll } from '@jest/globals';
import type { Express } from 'express';
import { pino } from 'pino';
import { readConfig, type Config } from '../../src/config.js';
import type { Clock } from '../../src/server/clock.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { RegistryService } from '../../src/service.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { api, type Client } from './http.js';

export interface TestRegistry {
  /** The base URL of the listening server; only with `listen: true` (the default of startTestRegistry). */
  readonly url: string;
  /** The Express app, for supertest. */
  app: Express;
  /** A client of the app through supertest: no port. */
  api: Client;
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
  /** On an in-process embedded database (PGlite through Prisma's adapter), as `npm start` runs by default. */
  embedded?: boolean;
  logSeed?: Uint8Array;
  redisPrefix?: string;
  httpTimeouts?: { headersMs: number; requestMs: number };
  /** Listen on a random port (`url`); startTestRegistry listens unless told not to, useTestRegistry only when told to. */
  listen?: boolean;
  /**
   * The log's checkpoint interval, set past what CHECKPOINT_INTERVAL_SECONDS allows (300 s): for
   * suites that must see no fresh checkpoint of the same size however long they run.
   */
  checkpointIntervalMs?: number;
}

/**
 * Jest's hooks, as the globals Jest puts in every test file: not imported from @jest/globals,
 * which throws when loaded outside Jest — `npm run examples` loads this file to start a registry.
 */
const jestHooks = () => globalThis as unknown as { beforeAll: typeof BeforeAll; afterAll: typeof AfterAll };

/** Starting a registry opens a database and migrates a schema: more than a test's usual budget on a busy machine. */
export const SETUP_TIMEOUT_MS = 120_000;

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
  const read = readConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'silent', LOG_ORIGIN: 'test.example/peerkeys', ...options.env });
  const config = options.checkpointIntervalMs === undefined ? read : { ...read, log: { ...read.log, checkpointIntervalMs: options.checkpointIntervalMs } };
  const database = options.database ?? (await openTestDatabase({ embedded: options.embedded === true }));
  const logSeed = options.logSeed ?? new Uint8Array(randomBytes(32));
  let service: RegistryService;
  try {
    service = await RegistryService.create(config, {
      database: database.db,
      logKey: logKeyFromSeed(config.log.origin, logSeed),
      logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.redisPrefix !== undefined ? { redisPrefix: options.redisPrefix } : {}),
      ...(options.httpTimeouts !== undefined ? { httpTimeouts: options.httpTimeouts } : {}),
    });
  } catch (error) {
    if (options.database === undefined) await database.close();
    throw error;
  }
  const url = options.listen === false ? null : await service.start();
  return {
    get url(): string {
      if (url === null) throw new Error('this test registry does not listen: ask for useTestRegistry({ listen: true })');
      return url;
    },
    app: service.app,
    api: api(service.app),
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

/**
 * A registry for the tests of the enclosing file or describe block: started in beforeAll, closed
 * in afterAll. The object it returns stands for the registry once beforeAll has run; before that
 * (at collection time) any use of it throws.
 */
export function useTestRegistry(options: TestRegistryOptions | (() => TestRegistryOptions) = {}): TestRegistry {
  let registry: TestRegistry | undefined;
  jestHooks().beforeAll(async () => {
    const resolved = typeof options === 'function' ? options() : options;
    registry = await startTestRegistry({ listen: false, ...resolved });
  }, SETUP_TIMEOUT_MS);
  jestHooks().afterAll(async () => {
    await registry?.close();
    registry = undefined;
  }, SETUP_TIMEOUT_MS);
  return new Proxy({} as TestRegistry, {
    get(_, key) {
      if (registry === undefined) throw new Error(`useTestRegistry(): the registry exists only inside tests and hooks (reading ${String(key)})`);
      return Reflect.get(registry, key);
    },
  });
}
