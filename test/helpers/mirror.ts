/** A mirror of a registry (src/mirror) on its own test database, served on a random port. */
import { pino } from 'pino';
import { readConfig } from '../../src/config.js';
import { createMirror, type Mirror } from '../../src/mirror/mirror.js';
import type { TilesChoice } from '../../src/mirror/follower-feed.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export interface TestMirror extends Mirror {
  url: string;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startTestMirror(registryUrl: string, vkey: string, options: { devicesPerRound?: number; tiles?: TilesChoice } = {}): Promise<TestMirror> {
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'silent' }, { signsCheckpoints: false });
  const database = await openTestDatabase();
  const mirror = await createMirror({
    registryUrl,
    vkey,
    config,
    database: database.db,
    logger: pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }),
    ...options,
  });
  const url = await mirror.service.start();
  return {
    ...mirror,
    url,
    database,
    async close() {
      await mirror.service.destroy();
      await database.close();
    },
  };
}
