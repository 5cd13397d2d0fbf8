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
import { databaseLogSource } from '../../src/db/database-log-source.js';
import { latestCheckpoint } from '../../src/db/log-repository.js';
import { signCheckpoint } from '../../src/protocol/checkpoint.js';
import { FoldedKeyMap } from '../../src/protocol/key-map-follow.js';
import { MapState } from '../../src/server/log/map-state.js';
import type { TestRegistry } from './registry.js';
import { newPeersId } from '../../src/protocol/ids.js';

/** Appends `record` to the registry's log under the chain rules only: no schema, no signature check. */
export async function plantIdentityRecord(registry: TestRegistry, record: IdentityRecord): Promise<AppendResult> {
  const db = registry.database.db;
  const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), logKeyFromSeed(registry.config.log.origin, registry.logSeed), systemClock);
  return writer.append(new Write(identityKind, record));
}

/**
 * Appends `count` identity geneses in batches, as cheaply as a log of that size can be made: one
 * real genesis `template` under `count` fresh userIds, so every signature but the template's is
 * wrong. For tests of what the log is made of (tiles, proofs), not of what the records say.
 */
export async function plantIdentityGeneses(registry: TestRegistry, template: IdentityRecord, count: number): Promise<AppendResult[]> {
  const db = registry.database.db;
  const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), logKeyFromSeed(registry.config.log.origin, registry.logSeed), systemClock);
  return Promise.all(Array.from({ length: count }, () => writer.append(new Write(identityKind, { ...template, userId: newPeersId() }))));
}

/**
 * Replaces the registry's latest checkpoint with one of the same size and log root, signed by its
 * log key, that carries `mapRoot` and `time` (default now) — or no map lines at all for null (a registry
 * from before the key map). What a registry signing a false map would serve. Returns the note.
 * A registry replaces a checkpoint without map lines with a fresh one once CHECKPOINT_INTERVAL_SECONDS
 * have passed: tests that plant one give their registry a long interval.
 */
export async function plantCheckpoint(registry: TestRegistry, mapRoot: Uint8Array | null, time = Date.now()): Promise<string> {
  const prisma = registry.database.db.prisma;
  const latest = await latestCheckpoint(registry.database.db);
  if (latest === null) throw new Error('the registry has no checkpoint yet');
  const key = logKeyFromSeed(registry.config.log.origin, registry.logSeed);
  const checkpoint = { origin: key.origin, size: latest.size, root: latest.root, ...(mapRoot !== null ? { mapRoot, time } : {}) };
  const note = await signCheckpoint(checkpoint, key.noteKey, key.sign);
  await prisma.logCheckpoint.update({ where: { size: BigInt(latest.size) }, data: { note } });
  return note;
}

/** The key map root of the registry's whole log, folded from its stored entries. */
export async function foldedMapRoot(registry: TestRegistry): Promise<Uint8Array> {
  const map = new FoldedKeyMap();
  for await (const page of databaseLogSource(registry.database.db).pages(0, Number.MAX_SAFE_INTEGER)) for (const entry of page) map.fold(entry);
  return map.root()!;
}
