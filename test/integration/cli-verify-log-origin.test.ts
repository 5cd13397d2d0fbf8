// `peerkeys verify-log` run without the server's PORT (so the origin it would derive is
// localhost:8080/peerkeys) on a log whose origin is another: it reads the origin from the log's
// own signed checkpoints instead of reporting every checkpoint as tampered. A LOG_ORIGIN that
// differs is ONE configuration error (exit 2, ORIGIN_MISMATCH). A checkpoint whose origin was
// edited in the database is still tampering (exit 1), not a configuration error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { cleanEnv, peerkeysBatch, type CliRun } from '../helpers/cli.js';
import { DATABASE_URL, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { api } from '../helpers/http.js';
import { newIdentity } from '../helpers/identities.js';
import { startTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

const LOG_ORIGIN = 'localhost:3000/peerkeys'; // the registry ran with PORT=3000
const WRITES = 4;

let dir: string;
/** Postgres: one schema, open throughout. Embedded: a data folder, opened only while the CLI is not running. */
let shared: TestDatabase | null = null;
let serverEnv: Record<string, string>;

async function open(): Promise<Database> {
  if (shared !== null) return shared.db;
  const db = await openDatabase({ kind: 'embedded', dataDir: join(dir, 'data') });
  await migrate(db);
  return db;
}
async function done(db: Database): Promise<void> {
  if (shared === null) await db.close();
}

/**
 * `peerkeys verify-log <args>` with the server's environment plus `extra`, once per run, in one
 * Node process (peerkeysBatch: each run is the command's own main(), with its own environment,
 * exit status and output); each opens and closes the database as a process of its own would.
 */
function verifyLogs(runs: Array<{ args: string[]; extra?: Record<string, string> }>): Promise<CliRun[]> {
  return peerkeysBatch(
    runs.map(({ args, extra = {} }) => {
      const env = cleanEnv({ ...serverEnv, ...extra });
      for (const name of ['PORT', 'HOST', 'PUBLIC_URL', 'TLS_CERT_FILE', 'TLS_KEY_FILE']) delete env[name];
      // cwd: a folder with no .env, so that only this environment configures it.
      return { args: ['verify-log', ...args], cwd: dir, env };
    }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-verify-log-'));
  const seed = new Uint8Array(32).fill(7);
  if (DATABASE_URL !== undefined && DATABASE_URL !== '') {
    shared = await openTestDatabase();
    serverEnv = { DATABASE_URL, DATABASE_SCHEMA: shared.schema!, LOG_SIGNING_KEY: toBase64Url(seed) };
  } else {
    // As `npm start` leaves it: the embedded database and the generated key in DATA_DIR.
    serverEnv = { DATA_DIR: join(dir, 'data') };
  }
  const db = await open();
  const registry = await startTestRegistry({ database: { db, url: shared?.url ?? null, schema: shared?.schema ?? null, close: async () => {} }, logSeed: seed, env: { LOG_ORIGIN } });
  for (let i = 0; i < WRITES; i++) expect((await api(registry.url).post('/v1/users', (await newIdentity()).head)).status).toBe(201);
  await registry.close();
  await done(db);
  if (shared === null) writeFileSync(join(dir, 'data', 'log-signing-key'), `${toBase64Url(seed)}\n`, { mode: 0o600 });
}, 120_000);
afterAll(async () => {
  await shared?.close();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('verify-log and the log origin', () => {
  it('without PORT or LOG_ORIGIN, reads the origin from the log and verifies it (before: a problem per checkpoint, exit 1)', async () => {
    const [result, json] = await verifyLogs([{ args: [] }, { args: ['--json'] }]);
    expectWith(result!.code, result!.stdout + result!.stderr).toBe(0);
    expect(result!.stderr).toContain(`the log's origin is ${LOG_ORIGIN}, read from its checkpoints`);
    expect(result!.stderr).toMatch(new RegExp(`log verified: ${WRITES} entries, ${WRITES + 1} checkpoints`));
    expect(json!.code).toBe(0);
    expect(JSON.parse(json!.stdout)).toMatchObject({ origin: LOG_ORIGIN, entries: WRITES, problems: [] });
  }, 120_000);

  it('a LOG_ORIGIN that differs is one configuration error, exit 2, with its own code', async () => {
    const wrong = { LOG_ORIGIN: 'keys.example.org/peerkeys' };
    const [human, json, right] = await verifyLogs([{ args: [], extra: wrong }, { args: ['--json'], extra: wrong }, { args: [], extra: { LOG_ORIGIN } }]);
    expect(human!.code).toBe(2);
    expect(human!.stdout).toBe('');
    expect(human!.stderr.match(/✖/g)).toHaveLength(1);
    expect(human!.stderr).toContain(`set LOG_ORIGIN=${LOG_ORIGIN}`);
    expect(json!.code).toBe(2);
    expect(JSON.parse(json!.stdout)).toEqual({
      error: expect.objectContaining({ code: 'ORIGIN_MISMATCH', configuredOrigin: 'keys.example.org/peerkeys', logOrigin: LOG_ORIGIN }),
      exit: 2,
    });
    expectWith(right!.code, right!.stderr).toBe(0);
  }, 120_000);

  it('a checkpoint whose origin was edited in the database is tampering (exit 1), with LOG_ORIGIN set or not', async () => {
    const db = await open();
    const latest = await db.prisma.logCheckpoint.findFirstOrThrow({ orderBy: { size: 'desc' } });
    await db.prisma.logCheckpoint.update({ where: { size: latest.size }, data: { note: latest.note.replace(`${LOG_ORIGIN}\n`, 'evil.example/peerkeys\n') } });
    await done(db);
    try {
      for (const result of await verifyLogs([{ args: ['--json'] }, { args: ['--json'], extra: { LOG_ORIGIN } }])) {
        expectWith(result.code, result.stdout).toBe(1);
        const report = JSON.parse(result.stdout) as { problems: Array<{ index: number | null }> };
        expect(report.problems.map((p) => p.index)).toContain(WRITES - 1);
      }
    } finally {
      const again = await open();
      await again.prisma.logCheckpoint.update({ where: { size: latest.size }, data: { note: latest.note } });
      await done(again);
    }
  }, 120_000);
});
