/**
 * Records planted in a test registry's log without the registry's checks: what a registry that
 * predates a rule (or a dishonest one) would have logged. A second LogWriter on the registry's own
 * database appends them, exactly as a second registry process would (appends are serialised by
 * the database, DESIGN.md §9), with real leaves, subtrees and a checkpoint signed by the log key.
 */
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { systemClock } from '../../src/server/clock.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { LogWriter, type AppendResult } from '../../src/server/log/log-writer.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { MapState } from '../../src/server/log/map-state.js';
import type { TestRegistry } from './registry.js';

/** Appends `record` to the registry's log under the chain rules only: no schema, no signature check. */
export async function plantIdentityRecord(registry: TestRegistry, record: IdentityRecord): Promise<AppendResult> {
  const db = registry.database.db;
  const writer = new LogWriter(db, new SubtreeStore(db.prisma), await MapState.load(db), logKeyFromSeed(registry.config.log.origin, registry.logSeed), systemClock);
  return writer.append(new Write(identityKind, record));
}
