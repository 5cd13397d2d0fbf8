/**
 * A private database for one test suite: a fresh schema, dropped afterwards, in the Postgres at
 * DATABASE_URL when it is set (CI), otherwise in this Jest worker's embedded Postgres (a PGlite
 * served by test/jest/embedded-postgres.ts, so a newcomer needs no server). Outside Jest (the
 * screenshot script) with no DATABASE_URL: an in-memory PGlite of its own. Never a mock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

export interface TestDatabase {
  db: Database;
  /** The server the schema lives on, for tests that reach past the registry (tampering, the CLI). */
  url: string | null;
  /** Where the schema lives, for tests that reach past the registry (tampering, verify-log). */
  schema: string | null;
  close(): Promise<void>;
}

/** The real Postgres CI runs against, when there is one. */
export const DATABASE_URL = process.env['DATABASE_URL'] || undefined;

/** The Postgres this test process uses: DATABASE_URL, or its Jest worker's embedded one; null outside Jest. */
export function postgresUrl(): string | null {
  if (DATABASE_URL !== undefined) return DATABASE_URL;
  const embedded = (process.env['PEERKEYS_TEST_EMBEDDED_POSTGRES'] ?? '').split(' ').filter((url) => url !== '');
  if (embedded.length === 0) return null;
  const worker = Number(process.env['JEST_WORKER_ID'] ?? '1');
  return embedded[(worker - 1) % embedded.length]!;
}

/** Runs one statement on its own connection to `url`. */
export async function sql(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * `embedded: true`: an in-memory PGlite in this process, through Prisma's PGlite adapter, whatever
 * DATABASE_URL says: the database `npm start` uses by default, which the suites on a schema (over
 * the Postgres protocol) do not exercise.
 */
export async function openTestDatabase(options: { embedded?: boolean } = {}): Promise<TestDatabase> {
  const url = options.embedded === true ? null : postgresUrl();
  if (url === null) {
    const db = await openDatabase({ kind: 'embedded' });
    await migrate(db);
    return { db, url: null, schema: null, close: () => db.close() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  await sql(url, `CREATE SCHEMA "${schema}"`);
  const db = await openDatabase({ kind: 'postgres', url, schema, poolSize: 10 });
  await migrate(db);
  return {
    db,
    url,
    schema,
    async close() {
      await db.close();
      await sql(url, `DROP SCHEMA "${schema}" CASCADE`);
    },
  };
}
