// Stopping a registry under load (SIGTERM runs RegistryService.destroy()): every background task and
// every request still at work is stopped and awaited before the database is closed, so nothing
// reaches a closed pool ("Cannot use a pool after calling end"), nothing is logged at warn level or above,
// and every request gets its normal answer, a clean 503 problem+json, or its connection closed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import { readConfig } from '../../src/config.js';
import { cosignerKey, formatCosignerKey } from '../../src/protocol/cosignature.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { RegistryService } from '../../src/service.js';
import { DATABASE_URL, sql } from '../helpers/database.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { SETUP_TIMEOUT_MS } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

interface LogLine {
  level: number;
  msg?: string;
  err?: { message?: string };
}

type Outcome = { status: number; type: string } | { closed: string };

/** A registry that owns its database (as `peerkeys serve` does), so that destroy() closes it. */
async function ownedRegistry(database: 'postgres' | 'embedded', logged: LogLine[], extraEnv: Record<string, string> = {}): Promise<{ service: RegistryService; url: string; cleanup: () => Promise<void> }> {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  const server = DATABASE_URL ?? null;
  if (database === 'postgres' && server !== null) {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    await sql(server, `CREATE SCHEMA "${schema}"`);
    env = { DATABASE_URL: server, DATABASE_SCHEMA: schema, LOG_SIGNING_KEY: randomBytes(32).toString('base64url') };
    cleanup = () => sql(server, `DROP SCHEMA "${schema}" CASCADE`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'peerkeys-shutdown-'));
    env = { DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_ORIGIN: 'test.example/peerkeys', CHECKPOINT_INTERVAL_SECONDS: '1', ...env, ...extraEnv });
  const service = await RegistryService.create(config, {
    logKey: logKeyFromSeed(config.log.origin, new Uint8Array(randomBytes(32))),
    logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) }),
  });
  return { service, url: await service.start(), cleanup };
}

/** One request; a connection refused or closed (the server stopping) is an outcome too, not a failure. */
async function send(url: string, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Outcome> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    await response.arrayBuffer();
    return { status: response.status, type: response.headers.get('content-type') ?? '' };
  } catch (error) {
    return { closed: (error as Error).name };
  }
}

async function underLoadThenStopped(database: 'postgres' | 'embedded'): Promise<{ outcomes: Outcome[]; warnLines: LogLine[]; poolLines: LogLine[] }> {
  const logged: LogLine[] = [];
  const { service, url, cleanup } = await ownedRegistry(database, logged);
  const outcomes: Outcome[] = [];
  try {
    const people: TestIdentity[] = [];
    for (let i = 0; i < 8; i++) {
      const person = await newIdentity();
      expect(await send(url, 'POST', '/v1/users', person.head)).toEqual({ status: 201, type: expect.stringContaining('json') });
      people.push(person);
    }
    let stopping = false;
    let done = 0;
    let reachedLoad: () => void;
    const loaded = new Promise<void>((resolve) => (reachedLoad = resolve));
    const worker = async (n: number) => {
      for (let round = 0; !stopping || round < 3; round++) {
        const person = people[(n + round) % people.length]!;
        const pick = (n + round) % 6;
        let outcome: Outcome;
        if (pick === 0) {
          outcome = await send(url, 'POST', '/v1/users', (await newIdentity()).head);
        } else if (pick === 1) {
          outcome = await send(url, 'POST', `/v1/users/${person.userId}`, await nextRecord(person));
        } else if (pick === 2 || pick === 5) {
          // A client that hangs up while its request is at work: the handler goes on without it.
          const controller = new AbortController();
          const paths = [`/v1/users/${person.userId}`, `/v1/users/${person.userId}/log`, `/v1/users/${person.userId}/devices`, '/metrics', `/peers/v1/${person.userId}.json`, '/v1/log/proof/consistency?first=1&second=8', '/readyz', `/v1/users/${person.userId}/groups`];
          setTimeout(() => controller.abort(), round % 4);
          outcome = await send(url, 'GET', paths[round % paths.length]!, undefined, controller.signal);
          if ('closed' in outcome) outcome = { closed: 'hung up' };
        } else if (pick === 3) {
          outcome = await send(url, 'GET', `/metrics`);
        } else {
          outcome = await send(url, 'GET', `/v1/users/${person.userId}`);
        }
        outcomes.push(outcome);
        if (++done === 200) reachedLoad();
        if ('closed' in outcome && outcome.closed !== 'hung up' && stopping) return;
      }
    };
    const workers = Array.from({ length: 24 }, (_, n) => worker(n));
    await loaded;
    stopping = true;
    await service.destroy();
    await Promise.all(workers);
    // Whatever destroy() left at work meets the closed pool in its next statement.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await cleanup();
  }
  return {
    outcomes,
    // Warn level too: on the embedded database a closed database is logged as unavailable, at warn.
    warnLines: logged.filter((line) => line.level >= 40),
    poolLines: logged.filter((line) => JSON.stringify(line).includes('after calling end')),
  };
}

/** Outcomes other than a normal answer (2xx, 4xx), a clean 503 problem+json, or a closed connection. */
function unclean(outcomes: Outcome[]): Outcome[] {
  return outcomes.filter((o) => 'status' in o && o.status >= 500 && !(o.status === 503 && o.type.startsWith('application/problem+json')));
}

/**
 * The 'postgres' rows only with DATABASE_URL: without it ownedRegistry falls back to the embedded
 * database, and they would run the 'embedded' rows again under another name.
 */
const onDatabase = (database: 'postgres' | 'embedded') => (database === 'postgres' && DATABASE_URL === undefined ? it.skip : it);

describe.each(['postgres', 'embedded'] as const)('a registry on %s stopped under concurrent lookups and writes', (database) => {
  onDatabase(database)(
    'closes its database only after every task that reads it: no warn- or error-level line, no closed pool, every request answered cleanly',
    async () => {
      const { outcomes, warnLines, poolLines } = await underLoadThenStopped(database);
      expect(outcomes.length).toBeGreaterThan(200);
      expect(unclean(outcomes)).toEqual([]);
      expect(poolLines).toEqual([]);
      expect(warnLines).toEqual([]);
    },
    SETUP_TIMEOUT_MS,
  );
});

/**
 * Deterministic: a statement of a request is held on a table lock (ACCESS EXCLUSIVE, from a session
 * of the test's own) while the registry stops; released once the registry has stopped listening.
 * Only on a real Postgres (DATABASE_URL): a Jest worker's embedded one serves one session at a time,
 * which the lock would block.
 */
describe('a registry on Postgres stopped while a request is at work', () => {
  const server = DATABASE_URL ?? null;
  const onPostgres = server === null ? it.skip : it;

  async function lockedDevices(): Promise<{ service: RegistryService; url: string; logged: LogLine[]; person: TestIdentity; lock: pg.Client; cleanup: () => Promise<void>; waiting: () => Promise<void> }> {
    const logged: LogLine[] = [];
    const { service, url, cleanup } = await ownedRegistry('postgres', logged);
    const person = await newIdentity();
    expect(await send(url, 'POST', '/v1/users', person.head)).toEqual({ status: 201, type: expect.stringContaining('json') });
    const schema = service.config.database.kind === 'postgres' ? service.config.database.schema : undefined;
    const lock = new pg.Client({ connectionString: server! });
    await lock.connect();
    await lock.query(`BEGIN; LOCK TABLE "${schema}".devices IN ACCESS EXCLUSIVE MODE`);
    /** Until the registry's statement waits for the lock (a request served without reading devices fails here, not at the suite's timeout). */
    const waiting = async () => {
      await waitFor(
        async () => {
          const { rows } = await lock.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = '"${schema}".devices'::regclass`);
          expect((rows[0] as { n: number }).n).toBeGreaterThan(0);
        },
        { timeout: 10_000, interval: 10 },
      );
    };
    return { service, url, logged, person, lock, cleanup: async () => { await lock.end().catch(() => {}); await cleanup(); }, waiting };
  }

  /** A few turns of the event loop: a stop that does not wait for the request has closed the database by then. */
  async function turns(count: number): Promise<void> {
    for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
  }

  onPostgres(
    'a request whose client hung up is finished before the database is closed: its next statement does not meet a closed pool',
    async () => {
      const { service, url, logged, person, lock, cleanup, waiting } = await lockedDevices();
      try {
        const controller = new AbortController();
        const request = send(url, 'GET', `/v1/users/${person.userId}/devices`, undefined, controller.signal);
        await waiting();
        controller.abort();
        expect(await request).toEqual({ closed: 'AbortError' });
        const destroying = service.destroy();
        await turns(10);
        await lock.query('COMMIT');
        await destroying;
        // The handler's statement after the lock (does the user exist: no devices) ran before the pool closed.
        expect(logged.filter((line) => line.level >= 40 || JSON.stringify(line).includes('after calling end'))).toEqual([]);
      } finally {
        await cleanup();
      }
    },
    SETUP_TIMEOUT_MS,
  );

  onPostgres(
    'a connection that never sends a request does not hold the shutdown: it is closed while a request in flight is still answered',
    async () => {
      const { service, url, person, lock, cleanup, waiting } = await lockedDevices();
      let idle: Socket | null = null;
      try {
        const { port } = new URL(url);
        idle = connect(Number(port), '127.0.0.1');
        await new Promise((resolve) => idle!.once('connect', resolve));
        const idleClosed = new Promise((resolve) => idle!.once('close', resolve));
        const request = send(url, 'GET', `/v1/users/${person.userId}/devices`);
        await waiting();
        const destroying = service.destroy();
        // Before: the silent connection held the server open until the 30 s cut, which cut the request too.
        await idleClosed;
        await lock.query('COMMIT');
        expect(await request).toEqual({ status: 200, type: expect.stringContaining('json') });
        await destroying;
      } finally {
        idle?.destroy();
        await cleanup();
      }
    },
    SETUP_TIMEOUT_MS,
  );
});

describe.each(['postgres', 'embedded'] as const)('a registry on %s stopped while a witness submission is in flight', (database) => {
  onDatabase(database)(
    'cuts the submission short: the stop does not wait out the witness timeout, and logs no failure of the witness',
    async () => {
      // A witness that takes every submission and never answers.
      let received: () => void;
      const submitted = new Promise<void>((resolve) => (received = resolve));
      const witness = createServer(() => received());
      await new Promise<void>((resolve) => witness.listen(0, '127.0.0.1', resolve));
      const { port } = witness.address() as import('node:net').AddressInfo;
      const vkey = formatCosignerKey(cosignerKey('slow.example/witness', nacl.sign.keyPair().publicKey));
      const logged: LogLine[] = [];
      // Its timeout is a minute: a stop that waited it out fails the race below, well before it.
      const { service, cleanup } = await ownedRegistry(database, logged, { WITNESSES: `http://127.0.0.1:${port} ${vkey}`, WITNESSES_TIMEOUT_MS: '60000' });
      try {
        await submitted;
        let bound: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          service.destroy().then(() => 'stopped'),
          new Promise((resolve) => (bound = setTimeout(() => resolve('still waiting for the witness'), 20_000))),
        ]);
        clearTimeout(bound);
        expect(outcome).toBe('stopped');
        expect(logged.filter((line) => line.level >= 40)).toEqual([]);
      } finally {
        witness.closeAllConnections();
        witness.close();
        await cleanup();
      }
    },
    SETUP_TIMEOUT_MS,
  );
});
