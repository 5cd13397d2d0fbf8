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
import { openDatabase, REPLICA_APPLICATION_NAME } from '../../src/db/database.js';
import { ReadReplicaError } from '../../src/db/read-replica-check.js';
import { migrate } from '../../src/db/migrate.js';
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
import { LookupReads, REPLICA_NOT_CURRENT_ROUNDS, REPLICA_REST_MS, type LookupRoundSource } from '../../src/server/log/lookup-reads.js';
import { MapState } from '../../src/server/log/map-state.js';
import { RegistryService } from '../../src/service.js';
import { foundGroup, type Person } from '../helpers/groups.js';
import { CAN_RUN_PRIVATE_POSTGRES, startPrivatePostgres, startPrivateReplica, type PrivatePostgres } from '../helpers/private-postgres.js';

let primary: PrivatePostgres | undefined;
/** The log key's seed of every process. */
let seed: string;
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

/** How long the replica may take to replay what the primary wrote, or to pause, before the test fails. */
const REPLICA_WAIT_MS = 30_000;

/** Polls `done` a few ms apart until it holds; fails, saying what it waited for, after REPLICA_WAIT_MS. */
async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + REPLICA_WAIT_MS;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`the replica did not ${what} within ${REPLICA_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the replica has replayed everything the primary has written (its replay running). */
async function replicaCaughtUp(): Promise<void> {
  const { lsn } = await one<{ lsn: string }>(primary!.url, 'SELECT pg_current_wal_lsn()::text AS lsn');
  await waitFor(`replay the primary's WAL up to ${lsn}`, async () => {
    const { behind } = await one<{ behind: boolean }>(replica!.url, 'SELECT pg_last_wal_replay_lsn() < $1::pg_lsn AS behind', [lsn]);
    return !behind;
  });
}

/** Runs `work` while the replica receives the primary's WAL but replays none of it: a replica that lags. */
async function whileReplayPaused(work: () => Promise<void>): Promise<void> {
  await replicaCaughtUp();
  await one(replica!.url, 'SELECT pg_wal_replay_pause()');
  try {
    await waitFor('pause its replay', async () => (await one<{ state: string }>(replica!.url, 'SELECT pg_get_wal_replay_pause_state() AS state')).state === 'paused');
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

/**
 * A third process's lookup rounds on the same primary and replica, on a clock the test moves, so
 * its rests are seen without being waited out: where each round was read, and each rest's length.
 */
const clocked = { nowMs: 0, sources: [] as string[], rests: [] as number[], reads: undefined as LookupReads | undefined };

/** One round of `clocked` for a user; returns where it was read and whether the user's chain was found. */
async function clockedRound(userId: string): Promise<{ source: string; found: boolean }> {
  const answer = await clocked.reads!.read('identities', [{ id: userId, start: 0, cachedHead: -1 }], { maxItems: 10, maxBytes: 65_536 });
  return { source: clocked.sources.at(-1)!, found: answer.chains.has(0) };
}

/** A registry process on `databases`: by default the primary and its replica. */
async function startProcess(seed: string, databases = { url: primary!.url, readUrl: replica!.url }): Promise<{ service: RegistryService; url: string }> {
  const config = readConfig({
    DATABASE_URL: databases.url,
    DATABASE_READ_URL: databases.readUrl,
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
    seed = toBase64Url(new Uint8Array(randomBytes(32)));
    // One after the other: the first migrates the primary and signs the empty log's checkpoint.
    ({ service: writer, url: writerUrl } = await startProcess(seed));
    ({ service: reader, url: readerUrl } = await startProcess(seed));
    const vkey = writer.logKey.vkey;
    clocked.reads = new LookupReads(writer.db, {
      now: () => clocked.nowMs,
      observe: (source: LookupRoundSource) => clocked.sources.push(`${source.database} ${source.reason}`),
      replicaRested: (_reason, restMs) => clocked.rests.push(restMs),
    });
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

  it('rests a replica found behind many rounds in a row (it stopped following), longer each time, until it serves a round', async () => {
    const frank = await registered();
    await whileReplayPaused(async () => {
      await registered();
      for (let round = 1; round < REPLICA_NOT_CURRENT_ROUNDS; round++) expect(await clockedRound(frank.head.userId)).toEqual({ source: 'primary behind', found: true });
      expect(clocked.rests).toEqual([]);
      expect(await clockedRound(frank.head.userId)).toEqual({ source: 'primary behind', found: true });
      expect(clocked.rests).toEqual([REPLICA_REST_MS]);
      clocked.nowMs += REPLICA_REST_MS - 1;
      expect((await clockedRound(frank.head.userId)).source).toBe('primary resting');
      // Still behind after its rest: the next rest is twice as long.
      clocked.nowMs += 1;
      for (let round = 0; round < REPLICA_NOT_CURRENT_ROUNDS; round++) expect((await clockedRound(frank.head.userId)).source).toBe('primary behind');
      expect(clocked.rests).toEqual([REPLICA_REST_MS, 2 * REPLICA_REST_MS]);
    });
    clocked.nowMs += 2 * REPLICA_REST_MS;
    expect(await clockedRound(frank.head.userId)).toEqual({ source: 'replica current', found: true });
  });

  it('never serves a replica ahead of the primary with a checkpoint the primary does not hold (another database, a restored primary)', async () => {
    const grace = await registered();
    // DATABASE_READ_URL naming another registry's database, whose log is longer than this one's.
    await one(primary!.url, 'CREATE DATABASE unrelated');
    const unrelatedUrl = new URL(primary!.url);
    unrelatedUrl.pathname = '/unrelated';
    const unrelated = await openDatabase({ kind: 'postgres', url: unrelatedUrl.href, poolSize: 1 });
    const misread = await openDatabase({ kind: 'postgres', url: primary!.url, readUrl: unrelatedUrl.href, poolSize: 1 });
    try {
      await migrate(unrelated);
      const { size } = await one<{ size: number }>(primary!.url, 'SELECT max(size)::int AS size FROM log_checkpoints');
      await unrelated.query(`INSERT INTO log_checkpoints (size, root, note) VALUES ($1, decode(repeat('00', 32), 'hex'), 'another log')`, [size + 1000]);
      const sources: string[] = [];
      const reads = new LookupReads(misread, { observe: (source) => sources.push(`${source.database} ${source.reason}`) });
      const answer = await reads.read('identities', [{ id: grace.head.userId, start: 0, cachedHead: -1 }], { maxItems: 10, maxBytes: 65_536 });
      expect(sources).toEqual(['primary ahead']);
      expect(answer.checkpoint!.size).toBeLessThan(size + 1000);
      expect(answer.chains.get(0)?.headIndex).toBe(grace.index);
    } finally {
      await misread.close();
      await unrelated.close();
    }
  });

  it('refuses to start when DATABASE_READ_URL is not a hot standby of DATABASE_URL', async () => {
    // A primary as the "replica": the database of the test before, on the same server.
    const unrelatedUrl = new URL(primary!.url);
    unrelatedUrl.pathname = '/unrelated';
    await expect(startProcess(seed, { url: primary!.url, readUrl: unrelatedUrl.href })).rejects.toMatchObject({ code: 'READ_REPLICA_NOT_STANDBY' });
    // The replica, as the standby of another cluster.
    const other = await startPrivatePostgres();
    try {
      const refused = await startProcess(seed, { url: other.url, readUrl: replica!.url }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ReadReplicaError);
      expect(refused).toMatchObject({ code: 'READ_REPLICA_OTHER_CLUSTER' });
    } finally {
      other.destroy();
    }
  }, 60_000);

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
    // A process starts while the replica is down (it cannot be checked; lookups read the primary).
    const late = await startProcess(seed);
    try {
      const lateClient = new RegistryClient({ url: late.url, vkey: writer.logKey.vkey, store });
      expect((await lateClient.lookup(dave.head.userId)).entries.at(-1)?.record).toEqual(rotated);
    } finally {
      await late.service.destroy();
    }

    // A replica that stays down is rested longer after each failure, up to a minute; the first rest
    // is the shortest again, since the replica served a round (the test before).
    for (const restMs of [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]) {
      expect((await clockedRound(dave.head.userId)).source).toBe('primary failed');
      expect(clocked.rests.at(-1)).toBe(restMs);
      clocked.nowMs += restMs - 1;
      expect((await clockedRound(dave.head.userId)).source).toBe('primary resting');
      clocked.nowMs += 1;
    }
  });
});
