// The embedded database's Postgres settings (src/db/embedded-settings.ts): shared_buffers is 16 MB,
// not Postgres's 128 MB, which PGlite allocates and zeroes in its WebAssembly memory at start and
// never gives back (docs/DESIGN.md §9; 135 MB of a registry's resident memory, measured). The test
// harness's PGlite per Jest worker (test/jest/embedded-postgres.ts) runs with the same settings.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { DATABASE_URL, postgresUrl } from '../helpers/database.js';

let db: Database;

beforeAll(async () => {
  db = await openDatabase({ kind: 'embedded' });
});

afterAll(async () => {
  await db.close();
});

describe('the embedded database', () => {
  it('runs with 16 MB of shared buffers', async () => {
    const [row] = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
    expect(row?.shared_buffers).toBe('16MB');
  });
});

// Only when the suites run on the harness's PGlite, not on a real Postgres (DATABASE_URL).
(DATABASE_URL === undefined ? describe : describe.skip)("the test harness's embedded Postgres", () => {
  it('runs with 16 MB of shared buffers too', async () => {
    const client = new pg.Client({ connectionString: postgresUrl()! });
    await client.connect();
    try {
      const { rows } = await client.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(rows[0]?.shared_buffers).toBe('16MB');
    } finally {
      await client.end();
    }
  });
});
