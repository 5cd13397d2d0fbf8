// A read replica (DATABASE_READ_URL, DESIGN.md §9): two registry processes (services with their
// own caches and key maps, as behind a load balancer) on a private Postgres primary and a real
// streaming replica of it made with `pg_basebackup -R`. Lookups are read from the replica when it
// is as new as the primary; a write through one process followed by a lookup through the other is
// never STALE_ANSWER while the replica lags (its replay paused), nor older than the newest note of
// a size; and lookups go on, from the primary, when the replica stops. Every answer is checked by
// the SDK, with one client state for both processes, so an answer older than one seen would fail.
//
// Needs the Postgres server binaries (initdb, pg_basebackup): without them (a laptop running the
// suite on the embedded database) the suite is skipped, and Jest lists it as skipped.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { readConfig } from '../../src/config.js';
import { REPLICA_APPLICATION_NAME } from '../../src/db/database.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import {
  createIdentityRecord,
  createSuccessorRecord,
  generateIdentityKeys,
  generateSigningKeyPair,
  MemoryStore,
  NotFoundError,
  RegistryClient,
  type IdentityKeys,
} from '../../src/sdk/index.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { systemClock } from '../../src/server/clock.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { MapState } from '../../src/server/log/map-state.js';
import { RegistryService } from '../../src/service.js';
import { foundGroup, type Person } from '../helpers/groups.js';
import { CAN_RUN_PRIVATE_POSTGRES, startPrivatePostgres, startPrivateReplica, type PrivatePostgres } from '../helpers/private-postgres.js';

let primary: PrivatePostgres | undefined;
let replica: PrivatePostgres | undefined;
/** Two registry processes' worth of state on the same primary and replica: writes go through the first, lookups through the second. */
let writer: RegistryService;
let reader: RegistryService;
let writerUrl: string;
let readerUrl: string;
/** One client state for both, as one user's device keeps it whichever process answers. */
const store = new MemoryStore();
let through: { writer: RegistryClient; reader: RegistryClient };

async function one<T>(url: string, text: string, params: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows[0] as T;
  } finally {
    await client.end();
  }
}

/** Waits until the replica has replayed everything the primary has written (its replay running). */
async function replicaCaughtUp(): Promise<void> {
  const { lsn } = await one<{ lsn: string }>(primary!.url, 'SELECT pg_current_wal_lsn()::text AS lsn');
  for (;;) {
    const { behind } = await one<{ behind: boolean }>(replica!.url, 'SELECT pg_last_wal_replay_lsn() < $1::pg_lsn AS behind', [lsn]);
    if (!behind) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs `work` while the replica receives the primary's WAL but replays none of it: a replica that lags. */
async function whileReplayPaused(work: () => Promise<void>): Promise<void> {
  await replicaCaughtUp();
  await one(replica!.url, 'SELECT pg_wal_replay_pause()');
  try {
    const pauseState = async () => (await one<{ state: string }>(replica!.url, 'SELECT pg_get_wal_replay_pause_state() AS state')).state;
    while ((await pauseState()) !== 'paused') await new Promise((resolve) => setImmediate(resolve));
    await work();
  } finally {
    await one(replica!.url, 'SELECT pg_wal_replay_resume()');
  }
  await replicaCaughtUp();
}

/** The reading process's peerkeys_lookup_rounds_total, by "<database> <reason>". */
async function rounds(): Promise<Record<string, number>> {
  const text = await (await fetch(`${readerUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, database, reason, value] of text.matchAll(/^peerkeys_lookup_rounds_total\{database="(\w+)",reason="(\w+)"\} (\d+)$/gm)) {
    counts[`${database} ${reason}`] = Number(value);
  }
  return counts;
}

/** How many more rounds each source served between two readings. */
function added(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).flatMap(([key, value]) => (value === (before[key] ?? 0) ? [] : [[key, value - (before[key] ?? 0)]])));
}

async function startProcess(seed: string): Promise<{ service: RegistryService; url: string }> {
  const config = readConfig({
    DATABASE_URL: primary!.url,
    DATABASE_READ_URL: replica!.url,
    LOG_SIGNING_KEY: seed,
    LOG_ORIGIN: 'replica.test/peerkeys',
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMITS: 'off',
    // No fresh checkpoint of the same size while the suite runs: every round's source is predictable.
    CHECKPOINT_INTERVAL_SECONDS: '300',
    LOG_LEVEL: 'silent',
  });
  const service = await RegistryService.create(config);
  return { service, url: await service.start() };
}

/** A registered identity (through the writing process) and its keys. */
async function registered(): Promise<{ keys: IdentityKeys; head: IdentityRecord; index: number }> {
  const keys = generateIdentityKeys();
  const head = await createIdentityRecord(keys, { name: 'Replica Reader' });
  const receipt = await through.writer.register(head);
  return { keys, head, index: receipt.index };
}

(CAN_RUN_PRIVATE_POSTGRES ? describe : describe.skip)('a registry with a streaming read replica (skipped without the Postgres server binaries)', () => {
  beforeAll(async () => {
    primary = await startPrivatePostgres();
    replica = await startPrivateReplica(primary);
    const seed = toBase64Url(new Uint8Array(randomBytes(32)));
    // One after the other: the first migrates the primary and signs the empty log's checkpoint.
    ({ service: writer, url: writerUrl } = await startProcess(seed));
    ({ service: reader, url: readerUrl } = await startProcess(seed));
    const vkey = writer.logKey.vkey;
    through = { writer: new RegistryClient({ url: writerUrl, vkey, store }), reader: new RegistryClient({ url: readerUrl, vkey, store }) };
  }, 120_000);

  afterAll(async () => {
    await writer?.destroy();
    await reader?.destroy();
    replica?.destroy();
    primary?.destroy();
  }, 60_000);

  it('serves lookups, found and not found, from the replica once it has caught up', async () => {
    const alice = await registered();
    const founder: Person = { name: 'Founder', keys: alice.keys, records: [alice.head], userId: alice.head.userId, signing: alice.keys.signing };
    const group = await foundGroup(founder, 'Replicated');
    await through.writer.registerGroup(group);
    await replicaCaughtUp();

    const before = await rounds();
    expect((await through.reader.lookup(alice.head.userId)).entries.at(-1)?.record).toEqual(alice.head);
    expect((await through.reader.group(group.groupId)).entries.at(-1)?.record).toEqual(group);
    const absent = await through.reader.lookup((await createIdentityRecord(generateIdentityKeys())).userId).catch((error: unknown) => error);
    expect(absent).toBeInstanceOf(NotFoundError);
    // Every round read the replica (the group's verification looks its admin up too); none the primary.
    const counts = added(before, await rounds());
    expect(Object.keys(counts)).toEqual(['replica current']);
    expect(counts['replica current']).toBeGreaterThanOrEqual(3);

    // The replica's own view: the statement ran there, on the registry's read connections.
    const { statement } = await one<{ statement: string }>(replica!.url, 'SELECT query AS statement FROM pg_stat_activity WHERE application_name = $1 ORDER BY state_change DESC LIMIT 1', [
      REPLICA_APPLICATION_NAME,
    ]);
    expect(statement).toContain('log_checkpoints');
    expect(await one(replica!.url, 'SELECT pg_is_in_recovery() AS standby')).toEqual({ standby: true });
  });

  it('never answers a lookup with less than a write another process acknowledged, while the replica lags', async () => {
    const bob = await registered();
    await whileReplayPaused(async () => {
      const before = await rounds();
      const rotated = await createSuccessorRecord({ previous: bob.head, signingKey: generateSigningKeyPair(), signer: bob.keys.rotation });
      const receipt = await through.writer.submit(rotated);
      const carol = await registered();
      // The replica still holds Bob's first head and no Carol: served from it, both answers would be older than the receipts.
      expect(await one(replica!.url, 'SELECT head_index::int AS index FROM identities WHERE user_id = $1', [bob.head.userId])).toEqual({ index: bob.index });

      const seen = await through.reader.lookup(bob.head.userId);
      expect(seen.entries.at(-1)?.record).toEqual(rotated);
      expect(seen.checkpoint.size).toBeGreaterThan(receipt.index);
      expect((await through.reader.lookup(carol.head.userId)).entries.at(-1)?.record).toEqual(carol.head);
      expect(added(before, await rounds())).toEqual({ 'primary behind': 2 });
    });
    const before = await rounds();
    expect((await through.reader.lookup(bob.head.userId)).head.seq).toBe(1);
    // A page of the chain past its first record: the same rounds.
    const page = await fetch(`${readerUrl}/v1/users/${bob.head.userId}?start=1`);
    expect(page.status).toBe(200);
    expect(((await page.json()) as { entries: Array<{ index: number }> }).entries.map((entry) => entry.index)).toEqual([bob.index + 1]);
    expect(added(before, await rounds())).toEqual({ 'replica current': 2 });
  });

  it('serves the newest note of a size: a fresh checkpoint of the same size that the replica lacks is read from the primary', async () => {
    const erin = await registered();
    await whileReplayPaused(async () => {
      // Any process signs the fresh checkpoint of a size when the latest is old (DESIGN.md §5): here a third one.
      const refresher = new LogWriter(writer.db, new SubtreeStore(writer.db), await MapState.load(writer.db), writer.logKey, systemClock);
      const time = await refresher.refresh(0);
      const before = await rounds();
      const seen = await through.reader.lookup(erin.head.userId);
      expect(seen.checkpoint.size).toBe(erin.index + 1);
      expect(seen.checkpoint.time).toBe(time);
      expect(added(before, await rounds())).toEqual({ 'primary behind': 1 });
    });
  });

  it('goes on answering lookups, from the primary, when the replica stops', async () => {
    const dave = await registered();
    await replicaCaughtUp();
    // Lookups in flight while the replica goes down (a fast shutdown: its sessions are ended), then after.
    const during = Promise.all(Array.from({ length: 20 }, () => through.reader.lookup(dave.head.userId)));
    await replica!.stopping();
    for (const answer of await during) expect(answer.entries.at(-1)?.record).toEqual(dave.head);

    const before = await rounds();
    const rotated = await createSuccessorRecord({ previous: dave.head, signingKey: generateSigningKeyPair(), signer: dave.keys.rotation });
    await through.writer.submit(rotated);
    expect((await through.reader.lookup(dave.head.userId)).entries.at(-1)?.record).toEqual(rotated);
    expect((await through.reader.lookup(dave.head.userId)).entries.at(-1)?.record).toEqual(rotated);
    const counts = added(before, await rounds());
    // The first round after the stop finds the replica gone (unless a round during the stop did) and reads the primary; the next rests the replica.
    expect(counts['replica current']).toBeUndefined();
    expect((counts['primary failed'] ?? 0) + (counts['primary resting'] ?? 0)).toBe(2);
    expect((await fetch(`${readerUrl}/readyz`)).status).toBe(200);
  });
});
