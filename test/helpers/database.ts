/**
 * A private database for one test suite: a fresh schema in the Postgres at DATABASE_URL when it is
 * set (CI), otherwise an in-memory embedded Postgres (a newcomer's laptop). Never a mock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

export interface TestDatabase {
  db: Database;
  /** Where the schema lives, for tests that reach past the registry (tampering, verify-log). */
  schema: string | null;
  close(): Promise<void>;
}

export const DATABASE_URL = process.env['DATABASE_URL'];

export async function openTestDatabase(): Promise<TestDatabase> {
  if (DATABASE_URL === undefined || DATABASE_URL === '') {
    const db = await openDatabase({ kind: 'embedded' });
    await migrate(db);
    return { db, schema: null, close: () => db.close() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const db = await openDatabase({ kind: 'postgres', url: DATABASE_URL, schema, poolSize: 10 });
  await migrate(db);
  return {
    db,
    schema,
    async close() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: DATABASE_URL });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA "${schema}" CASCADE`);
      await cleanup.end();
    },
  };
}
