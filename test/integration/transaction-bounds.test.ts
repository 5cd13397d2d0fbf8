// A transaction that never ends (a process frozen while it holds the log's row lock, work that
// hangs) must not freeze every write: each transaction is bounded, writes waiting on it answer 503,
// and once it is gone writes go on with nothing of the stuck transaction written.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openDatabase, TransactionTimeoutError, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { isDatabaseUnavailable } from '../../src/server/database-errors.js';
import { DATABASE_URL, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { newIdentity } from '../helpers/identities.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Short, so the test waits little; far longer than a batch of a few writes takes. */
const BOUND_MS = 1_000;

async function logCounts(db: Database): Promise<{ size: number; entries: number }> {
  const [row] = await db.query<{ size: string | number; entries: string | number }>(
    'SELECT (SELECT size FROM log_state WHERE id = 1) AS size, (SELECT count(*) FROM log_entries) AS entries',
  );
  return { size: Number(row!.size), entries: Number(row!.entries) };
}

// A real Postgres only: the Jest workers' stand-in (PGlite behind a socket) serves one session at a time.
(DATABASE_URL === undefined ? describe.skip : describe)('a transaction holding the log lock past the bound, on Postgres', () => {
  let base: TestDatabase;
  let bounded: Database;
  let registry: TestRegistry;

  beforeAll(async () => {
    base = await openTestDatabase();
    bounded = await openDatabase({ kind: 'postgres', url: base.url!, schema: base.schema!, poolSize: 4, transactionTimeoutMs: BOUND_MS });
    registry = await startTestRegistry({ database: { ...base, db: bounded, close: async () => {} } });
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await registry?.close();
    await bounded?.close();
    await base?.close();
  }, SETUP_TIMEOUT_MS);

  it('writes answer 503 UNAVAILABLE within the bound while another session holds the lock, and succeed once it lets go', async () => {
    const holder = new pg.Client({ connectionString: base.url!, options: `-c search_path="${base.schema}"` });
    holder.on('error', () => {});
    await holder.connect();
    try {
      const before = await logCounts(bounded);
      await holder.query('BEGIN');
      await holder.query('SELECT size FROM log_state WHERE id = 1 FOR UPDATE');
      const alice = await newIdentity();
      const stuck = await registry.api.post('/v1/users', alice.head);
      expect(stuck.status).toBe(503);
      expect(stuck.body.code).toBe('UNAVAILABLE');
      await holder.query('ROLLBACK');

      const retried = await registry.api.post('/v1/users', alice.head);
      expect(retried.status).toBe(201);
      expect(retried.body.index).toBe(before.size);
      expect(await logCounts(bounded)).toEqual({ size: before.size + 1, entries: before.entries + 1 });
    } finally {
      await holder.end();
    }
  });

  it('a transaction of this process that outlives its bound is rolled back and answered as unavailable', async () => {
    const before = await logCounts(bounded);
    let release!: () => void;
    const hung = bounded.transaction(async (tx) => {
      await tx.query('SELECT size FROM log_state WHERE id = 1 FOR UPDATE');
      await tx.query('UPDATE log_state SET size = size + 1000 WHERE id = 1');
      await new Promise<void>((resolve) => (release = resolve));
      await tx.query('UPDATE log_state SET size = size + 1000 WHERE id = 1');
    });
    const error = await hung.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionTimeoutError);
    expect(isDatabaseUnavailable(error)).toBe(true);
    release();
    const bob = await newIdentity();
    expect((await registry.api.post('/v1/users', bob.head)).status).toBe(201);
    expect(await logCounts(bounded)).toEqual({ size: before.size + 1, entries: before.entries + 1 });
  });
});

describe('a transaction that hangs, on the embedded database', () => {
  let db: Database;
  let registry: TestRegistry;

  beforeAll(async () => {
    db = await openDatabase({ kind: 'embedded', transactionTimeoutMs: BOUND_MS });
    await migrate(db);
    registry = await startTestRegistry({ database: { db, url: null, schema: null, close: async () => {} } });
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await registry?.close();
    await db?.close();
  }, SETUP_TIMEOUT_MS);

  it('is rolled back after the bound, writes nothing after it, and the writes queued behind it go through', async () => {
    const before = await logCounts(db);
    let release!: () => void;
    let lateWrite: Promise<unknown> | null = null;
    const hung = db.transaction(async (tx) => {
      await tx.query('UPDATE log_state SET size = size + 1000 WHERE id = 1');
      await new Promise<void>((resolve) => (release = resolve));
      lateWrite = tx.query('UPDATE log_state SET size = size + 1000 WHERE id = 1');
      await lateWrite;
    });
    const carol = await newIdentity();
    const write = registry.api.post('/v1/users', carol.head);
    const error = await hung.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionTimeoutError);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect((await write).status).toBe(201);
    release();
    await expect(new Promise((resolve) => setImmediate(resolve)).then(() => lateWrite)).rejects.toBeInstanceOf(TransactionTimeoutError);
    expect(await logCounts(db)).toEqual({ size: before.size + 1, entries: before.entries + 1 });
  });
});
