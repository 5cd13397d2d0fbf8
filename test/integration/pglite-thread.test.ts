// The embedded database's worker thread (src/db/pglite-thread.ts, src/db/pglite-worker.js): it
// behaves as PGlite in this thread did — results, Postgres errors with their codes, transactions
// committed, rolled back on error or on request, statements waiting behind an open transaction —
// for our own statements and for Prisma's adapter; it closes cleanly; and a thread that dies fails
// every statement with an error the server answers 503, instead of leaving requests hanging.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Worker } from 'node:worker_threads';
import { messages, type PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { openDatabase, type Database } from '../../src/db/database.js';
import { PrismaClient } from '../../src/db/generated/client.js';
import { EMBEDDED_START_PARAMS } from '../../src/db/embedded-settings.js';
import { migrate } from '../../src/db/migrate.js';
import { PGliteThread } from '../../src/db/pglite-thread.js';
import { isDatabaseUnavailable, isUniqueViolation } from '../../src/server/database-errors.js';

/** A promise's rejection, or a failure if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; constraint?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('PGliteThread', () => {
  let thread: PGliteThread;

  beforeAll(async () => {
    thread = new PGliteThread({ startParams: EMBEDDED_START_PARAMS });
    await thread.waitReady;
    await thread.exec('CREATE TABLE t (id int PRIMARY KEY, data bytea, big int8, at timestamptz)');
  }, 60_000);

  afterAll(async () => {
    await thread.close();
  });

  it('answers statements with their rows, parameters and types as PGlite does', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    await thread.query('INSERT INTO t VALUES ($1, $2, $3, $4)', [1, new Uint8Array([1, 2, 255]), 9007199254740991n, at]);
    const { rows, fields } = await thread.query<{ id: number; data: Uint8Array; big: number; at: Date }>('SELECT * FROM t WHERE id = $1', [1]);
    expect(fields.map((f) => f.name)).toEqual(['id', 'data', 'big', 'at']);
    // PGlite's int8 is a number; the Date is of Node's realm, not of Jest's sandbox (as pg's are here).
    expect(rows.map(({ at: when, ...rest }) => ({ ...rest, at: when.getTime() }))).toEqual([{ id: 1, data: new Uint8Array([1, 2, 255]), big: 9007199254740991, at: at.getTime() }]);
  });

  it('runs the caller\'s parsers on its own thread, over the columns sent as text, in array mode too', async () => {
    const { rows } = await thread.query<unknown[]>('SELECT id, big, NULL::int8 AS none FROM t WHERE id = 1', [], {
      rowMode: 'array',
      parsers: { 20: (text: string) => `int8:${text}` },
    });
    expect(rows).toEqual([[1, 'int8:9007199254740991', null]]);
  });

  it('rejects a failed statement with the Postgres error, its code and fields', async () => {
    const error = await rejection(thread.query('INSERT INTO t (id) VALUES (1)'));
    expect(error).toBeInstanceOf(messages.DatabaseError);
    expect(error.code).toBe('23505');
    expect(error.constraint).toBe('t_pkey');
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('commits a transaction whose callback resolves', async () => {
    const result = await thread.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES (2)');
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n;
    });
    expect(result).toBe(2);
    expect((await thread.query('SELECT id FROM t WHERE id = 2')).rows).toHaveLength(1);
  });

  it('rolls back a transaction whose callback throws, and rejects with its error', async () => {
    const error = await rejection(
      thread.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES (3)');
        await tx.query('INSERT INTO t (id) VALUES (1)'); // a unique violation
      }),
    );
    expect(error.code).toBe('23505');
    expect((await thread.query('SELECT id FROM t WHERE id = 3')).rows).toHaveLength(0);
  });

  it('rolls back a transaction on request, and refuses its statements after', async () => {
    let closedTx: { query(sql: string): Promise<unknown>; closed: boolean } | undefined;
    const result = await thread.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES (4)');
      await tx.rollback();
      closedTx = tx;
      return 'done';
    });
    expect(result).toBe('done');
    expect(closedTx!.closed).toBe(true);
    await expect(closedTx!.query('SELECT 1')).rejects.toThrow(/closed/);
    expect((await thread.query('SELECT id FROM t WHERE id = 4')).rows).toHaveLength(0);
  });

  it('holds statements sent during a transaction until it ends, as PGlite\'s lock does', async () => {
    const order: string[] = [];
    let outside: Promise<unknown> | undefined;
    await thread.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES (5)');
      outside = thread.query<{ id: number }>('SELECT id FROM t WHERE id = 5').then(({ rows }) => order.push(`outside saw ${rows.length}`));
      await tx.query('SELECT pg_sleep(0.05)');
      order.push('transaction done');
    });
    await outside;
    expect(order).toEqual(['transaction done', 'outside saw 1']);
  });
});

describe('the embedded Database on its thread', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase({ kind: 'embedded' });
    await migrate(db);
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  it('serves Prisma, whose reads arrive typed and whose unique violations are recognised as such', async () => {
    expect(await db.prisma.logState.findUnique({ where: { id: 1 } })).toEqual({ id: 1, size: 0n });
    const error = await rejection(db.prisma.logState.create({ data: { id: 1 } }));
    expect(isUniqueViolation(error)).toBe(true);
    await db.prisma.$transaction(async (tx) => {
      await tx.logState.update({ where: { id: 1 }, data: { size: 7n } });
      expect(await tx.logState.findUnique({ where: { id: 1 } })).toEqual({ id: 1, size: 7n });
      throw new Error('undo');
    }).catch(() => {});
    expect(await db.prisma.logState.findUnique({ where: { id: 1 } })).toEqual({ id: 1, size: 0n });
  });

  it('rolls back a transaction that throws, with the statement error\'s code', async () => {
    const error = await rejection(
      db.transaction(async (sql) => {
        await sql.exec('CREATE TABLE scratch (id int PRIMARY KEY)');
        await sql.query('INSERT INTO scratch VALUES (1), (1)');
      }),
    );
    expect(error.code).toBe('23505');
    expect(await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'scratch'")).toEqual([]);
  });
});

describe('a PGliteThread whose thread dies', () => {
  it('fails the statement under way and every later one as unavailable (503), Prisma\'s too', async () => {
    const thread = new PGliteThread({ startParams: EMBEDDED_START_PARAMS });
    await thread.waitReady;
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(thread as unknown as PGlite) });
    try {
      const running = thread.query('SELECT pg_sleep(10)');
      // What a crash of the thread looks like from here: it ends while a statement runs.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await (thread as unknown as { worker: Worker }).worker.terminate();
      const under = await rejection(running);
      expect(under.code).toBe('08006');
      expect(isDatabaseUnavailable(under)).toBe(true);
      expect(isDatabaseUnavailable(await rejection(thread.query('SELECT 1')))).toBe(true);
      expect(isDatabaseUnavailable(await rejection(thread.transaction(async (tx) => tx.query('SELECT 1'))))).toBe(true);
      expect(isDatabaseUnavailable(await rejection(prisma.$queryRawUnsafe('SELECT 1')))).toBe(true);
    } finally {
      await thread.close();
    }
  }, 60_000);
});
