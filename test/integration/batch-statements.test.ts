// SqlSession.batch (db/database.ts): a log batch's writes as statements run in order — one by one
// on Postgres, one call of a session function on the embedded database (issue 19). Both must keep
// the order, refuse a statement that wrote other rows than it must, keep Postgres's error codes
// (the log writer retries a batch one write at a time on a unique violation), and write nothing
// of a transaction that failed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BatchStatement, Database } from '../../src/db/database.js';
import { isUniqueViolation } from '../../src/server/database-errors.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

/** Frees the live slot of the given rows, as a recovery nullifies the records it replaces. */
const retire = (ids: number[], rows = ids.length): BatchStatement => ({
  types: ['int[]'],
  params: [ids],
  sql: ([id]) => `UPDATE batch_rows SET live = NULL WHERE id = ANY(${id})`,
  writes: { rows, what: 'retired rows' },
});

/** Inserts rows holding these live slots: the unique index refuses a slot still held. */
const insert = (rows: Array<{ id: number; live: number }>): BatchStatement => ({
  types: ['int[]', 'int[]'],
  params: [rows.map((r) => r.id), rows.map((r) => r.live)],
  sql: ([id, live]) => `INSERT INTO batch_rows (id, live) SELECT * FROM unnest(${id}, ${live})`,
});

async function rows(db: Database): Promise<Array<{ id: number; live: number | null }>> {
  return db.query<{ id: number; live: number | null }>('SELECT id, live FROM batch_rows ORDER BY id');
}

describe.each([
  ['the embedded database', true],
  ['Postgres', false],
])('a batch of statements on %s', (_, embedded) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase({ embedded });
    await database.db.query('CREATE TABLE batch_rows (id int PRIMARY KEY, live int UNIQUE)');
    await database.db.transaction((tx) => tx.batch([insert([{ id: 1, live: 1 }, { id: 2, live: 2 }])]));
  }, 120_000);

  afterAll(async () => {
    await database?.close();
  }, 120_000);

  it('runs its statements in order: a slot freed by one is taken by the next', async () => {
    await database.db.transaction((tx) => tx.batch([retire([1]), insert([{ id: 3, live: 1 }])]));
    expect(await rows(database.db)).toEqual([
      { id: 1, live: null },
      { id: 2, live: 2 },
      { id: 3, live: 1 },
    ]);
  });

  it('fails, writing nothing, when a statement writes other rows than it must', async () => {
    const before = await rows(database.db);
    // Row 99 does not exist: one row of the two is updated.
    await expect(database.db.transaction((tx) => tx.batch([insert([{ id: 4, live: 4 }]), retire([2, 99], 2)]))).rejects.toThrow('retired rows: 1 of 2 rows updated');
    expect(await rows(database.db)).toEqual(before);
  });

  it('keeps the unique violation code, writing nothing', async () => {
    const before = await rows(database.db);
    const failed = await database.db.transaction((tx) => tx.batch([insert([{ id: 5, live: 5 }]), insert([{ id: 6, live: 2 }])])).catch((error: unknown) => error);
    expect(isUniqueViolation(failed)).toBe(true);
    expect(await rows(database.db)).toEqual(before);
  });

  it('runs a batch of more parameters than a PL/pgSQL function takes (100)', async () => {
    // 51 statements of two parameters: 102, where the embedded database made one function of all of them (SQLSTATE 54023).
    await database.db.transaction((tx) => tx.batch(Array.from({ length: 51 }, (_, i) => insert([{ id: 100 + i, live: 100 + i }]))));
    expect((await rows(database.db)).filter((r) => r.id >= 100)).toHaveLength(51);
  });

  it('runs a statement of more than 100 parameters alone, checking the rows it writes', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => 200 + i);
    const wide: BatchStatement = {
      types: ids.map(() => 'int'),
      params: ids,
      sql: (refs) => `INSERT INTO batch_rows (id, live) SELECT v, v FROM unnest(ARRAY[${refs.join(', ')}]) AS v`,
      writes: { rows: 101, what: 'wide rows' },
    };
    await database.db.transaction((tx) => tx.batch([retire([100]), wide, retire([200])]));
    expect((await rows(database.db)).filter((r) => r.id >= 200)).toHaveLength(101);
    const before = await rows(database.db);
    const wrong = { ...wide, params: ids.map((id) => id + 1000), sql: (refs: string[]) => `UPDATE batch_rows SET live = NULL WHERE id = ANY(ARRAY[${refs.join(', ')}])` };
    await expect(database.db.transaction((tx) => tx.batch([insert([{ id: 9, live: 9 }]), wrong]))).rejects.toThrow('wide rows: 0 of 101 rows updated');
    expect(await rows(database.db)).toEqual(before);
  });

  it('runs again after the session lost its temporary functions', async () => {
    const mix = () => [insert([{ id: 400, live: 400 }]), retire([400])];
    const read = () =>
      database.db.query<{ id: number }>('SELECT id FROM batch_rows WHERE id = $1::int', [400], { embedded: { params: ['int'], columns: [['id', 'int']] } });
    await database.db.transaction((tx) => tx.batch(mix()));
    expect(await read()).toEqual([{ id: 400 }]);
    await database.db.query('DELETE FROM batch_rows WHERE id = 400');
    // On the embedded database the session's functions are gone; the database still knew their names.
    await database.db.query('DISCARD TEMP');
    await database.db.transaction((tx) => tx.batch(mix()));
    expect((await rows(database.db)).filter((r) => r.id === 400)).toEqual([{ id: 400, live: null }]);
    await database.db.query('DISCARD TEMP');
    expect(await read()).toEqual([{ id: 400 }]);
  });

  it('runs again after the transaction that first ran its mix of statements rolled back', async () => {
    // A mix no test above ran: on the embedded database, its function is made in this transaction, and undone with it.
    const mix = () => [insert([{ id: 7, live: 7 }]), retire([7]), insert([{ id: 8, live: 7 }])];
    await expect(
      database.db.transaction(async (tx) => {
        await tx.batch(mix());
        throw new Error('given up');
      }),
    ).rejects.toThrow('given up');
    await database.db.transaction((tx) => tx.batch(mix()));
    expect((await rows(database.db)).filter((r) => r.id === 7 || r.id === 8)).toEqual([
      { id: 7, live: null },
      { id: 8, live: 7 },
    ]);
  });
});
