/** Errors the database drivers really raise, classified as the registry answers them (503 when it cannot get a connection). */
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/server/database-errors.js';
import { postgresUrl } from '../helpers/database.js';

describe('database errors', () => {
  const pool = new pg.Pool({ connectionString: postgresUrl()!, max: 1, connectionTimeoutMillis: 1000 });
  afterAll(() => pool.end());

  it('a write that waits past the pool\'s connection timeout is "unavailable" (503), not an internal error', async () => {
    const held = await pool.connect();
    try {
      const waited = await pool.connect().then(
        (client) => {
          client.release();
          return null;
        },
        (error: unknown) => error,
      );
      // pg is loaded outside Jest's sandbox (test/jest/native/): its errors are of another realm's Error.
      expect(waited).toHaveProperty('message', expect.stringMatching(/timeout/));
      expect(isDatabaseUnavailable(waited)).toBe(true);
    } finally {
      held.release();
    }
  });
});
