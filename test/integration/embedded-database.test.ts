// The embedded database's Postgres settings (src/db/database.ts): shared_buffers is 16 MB, not
// Postgres's 128 MB, which PGlite allocates and zeroes in its WebAssembly memory at start and
// never gives back (docs/DESIGN.md §9; 135 MB of a registry's resident memory, measured).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database } from '../../src/db/database.js';

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
