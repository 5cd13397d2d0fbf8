/** A log writer of a test's own on a test database, as the server makes one (src/service.ts). */
import type { Database } from '../../src/db/database.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import type { LogKey } from '../../src/node/log-key.js';
import { systemClock } from '../../src/server/clock.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { MapState } from '../../src/server/log/map-state.js';
import type { Metrics } from '../../src/server/metrics.js';

/** A LogWriter on `db` with its own subtree store and the key map as the database holds it, started (init). */
export async function startedLogWriter(db: Database, key: LogKey, metrics?: Pick<Metrics, 'appended' | 'batchSize'>): Promise<LogWriter> {
  const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), key, systemClock, metrics);
  await writer.init();
  return writer;
}
