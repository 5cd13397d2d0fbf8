// peerkeys mirror (README "Mirrors"): a mirror follows a registry through 250 writes (1,000 in CI
// and `npm run test:long`: MIRROR_TEST_WRITES) into its own database, the SDK pinned to the
// REGISTRY's key verifies lookups from the mirror exactly as from the registry, and a registry
// that rewrites its history stops the mirror, loudly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MirrorFollower, RoundResult } from '../../src/mirror/follower.js';
import type { TilesChoice } from '../../src/mirror/follower-feed.js';
import { recordHash } from '../../src/protocol/signing.js';
import { RegistryClient } from '../../src/sdk/client.js';
import { createDeviceRecord, createSuccessorRecord } from '../../src/sdk/records.js';
import { auditLog } from '../../src/db/log-audit.js';
import { verifierLogKey } from '../../src/node/log-key.js';
import { cleanEnv, peerkeys } from '../helpers/cli.js';
import { postgresUrl } from '../helpers/database.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord, quickSigningKeyPair, type TestIdentity } from '../helpers/identities.js';
import { asMember, foundGroup, groupUpdate, registeredPerson, type Person } from '../helpers/groups.js';
import { startTestMirror, type TestMirror } from '../helpers/mirror.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';
import { expectWith } from '../helpers/expect-with.js';
import { waitFor } from '../helpers/wait.js';

const WRITES = Number(process.env['MIRROR_TEST_WRITES'] ?? 250);

let registry: TestRegistry;
let vkey: string;
/** The URL the mirror follows: the registry behind it is replaced by a forked one at the end. */
let proxy: TamperingProxy;
let mirror: TestMirror;

beforeAll(async () => {
  // No fresh checkpoint of the same size while the suite runs: the fork test compares the notes the mirrors hold with the registry's.
  registry = await startTestRegistry({ checkpointIntervalMs: 86_400_000 });
  vkey = registry.service.logKey.vkey;
  proxy = await startTamperingProxy(registry.url);
  mirror = await startTestMirror(proxy.url, vkey, { devicesPerRound: 50 });
}, 120_000);
afterAll(async () => {
  await mirror?.close();
  await proxy?.close();
  await registry?.close();
}, 120_000);

/**
 * A round that got past the network: a mirror retries a failed request next round, by design, and
 * under load a pooled keep-alive socket to the test proxy (Node's default 5 s idle timeout) can
 * be closed just as it is reused.
 */
async function settledRound(follower: MirrorFollower): Promise<RoundResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await follower.round();
    if (result.status !== 'retry' || attempt === 5) return result;
  }
}

/** A TestIdentity in the shape the group helpers take (only its userId and pinned keys are used). */
function identityAsPerson(identity: TestIdentity): Person {
  return { name: identity.userId, keys: { box: identity.box } as Person['keys'], records: identity.records, userId: identity.userId, signing: identity.signing };
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/**
 * A place for a CLI mirror's own database: a fresh schema in the Postgres the suites use
 * (DATABASE_URL, or this Jest worker's embedded server), as a mirror in production would have.
 * (`peerkeys mirror --once` on an embedded database in a DATA_DIR: cli-scripting.test.ts.)
 */
async function cliMirrorDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const url = postgresUrl();
  if (url === null) {
    const folder = mkdtempSync(join(tmpdir(), 'peerkeys-mirror-'));
    return { env: { DATA_DIR: join(folder, 'data') }, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const schema = `test_cli_mirror_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  return {
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
    async drop() {
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA "${schema}" CASCADE`);
      await cleanup.end();
    },
  };
}

describe(`a mirror following a registry through ${WRITES} writes`, () => {
  const identities: TestIdentity[] = [];
  const recovered: Array<{ identity: TestIdentity; nullified: string }> = [];
  const withDevices: TestIdentity[] = [];
  const rounds: RoundResult[] = [];
  /** The paths the mirror asked the registry for while it followed. */
  const asked: string[] = [];
  let groupId = '';

  beforeAll(async () => {
    proxy.tamper = ({ path, body }) => {
      asked.push(path);
      return body;
    };
    const controller = new AbortController();
    const following = mirror.follower.run({ intervalMs: 50, signal: controller.signal, onRound: (result) => rounds.push(result) });
    const client = api(registry.url);
    const accept = async (path: string, record: object) => {
      const reply = await client.post(path, record);
      expectWith(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
    };

    // The mix, WRITES log entries in all: registrations, rotations, thefts undone by a recovery
    // (two entries each: they leave nullified records in the log), and revocations.
    const thefts = Math.max(1, Math.round(WRITES / 100));
    const rotations = Math.round(WRITES / 4);
    const revocations = Math.round(WRITES / 25);
    // And a group: its founder's registration, its genesis and one update (three entries).
    const groupEntries = 3;
    const registrations = WRITES - rotations - 2 * thefts - revocations - groupEntries;
    expect(registrations).toBeGreaterThan(rotations + thefts + revocations + 20);

    const fresh = await Promise.all(Array.from({ length: registrations }, () => newIdentity({ rotationKeys: 2, quickKeys: true })));
    await inBatches(fresh, 50, async (identity) => {
      await accept('/v1/users', identity.head);
      identities.push(identity);
    });
    await inBatches(identities.slice(0, rotations), 50, async (identity) => {
      const signing = quickSigningKeyPair();
      const record = await nextRecord(identity, { signingKey: signing });
      await accept(`/v1/users/${identity.userId}`, record);
      identity.records.push(record);
      identity.signing = signing;
    });
    await inBatches(identities.slice(rotations, rotations + thefts), 50, async (identity) => {
      // A thief with the weaker rotation key changes the signing key; the owner's recovery key undoes it.
      const stolen = await nextRecord(identity, { signingKey: quickSigningKeyPair() });
      await accept(`/v1/users/${identity.userId}`, stolen);
      const signing = quickSigningKeyPair();
      const recovery = await createSuccessorRecord({ previous: identity.records[0]!, signingKey: signing, signer: identity.rotation[0]! });
      await accept(`/v1/users/${identity.userId}`, recovery);
      identity.records.push(recovery);
      identity.signing = signing;
      recovered.push({ identity, nullified: recordHash(stolen) });
    });
    const revoked = identities.slice(rotations + thefts, rotations + thefts + revocations);
    await inBatches(revoked, 50, async (identity) => {
      const record = await nextRecord(identity, { status: 'revoked' });
      await accept(`/v1/users/${identity.userId}`, record);
      identity.records.push(record);
    });
    const founder = await registeredPerson(registry.url, 'Fay');
    const genesis = await foundGroup(founder, 'Mirror club', [asMember(identityAsPerson(identities[0]!), 'writer')]);
    await accept('/v1/groups', genesis);
    const update = await groupUpdate(genesis, founder, [...genesis.members, asMember(identityAsPerson(identities[1]!), 'reader')]);
    await accept(`/v1/groups/${genesis.groupId}`, update);
    groupId = genesis.groupId;
    // Device records are not in the log: the mirror copies them beside it.
    for (const identity of identities.slice(-10)) {
      const device = await createDeviceRecord({ userId: identity.userId, addresses: [`192.168.7.${withDevices.length}:5000`], signingKey: identity.signing });
      expect((await client.put(`/v1/users/${identity.userId}/devices/${device.deviceId}`, device)).status).toBe(200);
      withDevices.push(identity);
    }

    const latest = (await client.get('/v1/log/checkpoint')).text;
    await waitFor(async () => expect((await api(mirror.url).get('/v1/log/checkpoint')).text).toBe(latest), { timeout: 120_000, interval: 100 });
    controller.abort();
    await following;
    proxy.tamper = null;
  }, 600_000);

  it('reads the log through its tiles, which the registry announces (DESIGN.md §5.3)', () => {
    expect(asked.filter((path) => path.startsWith('/v1/log/tile/entries/')).length).toBeGreaterThan(0);
    expect(asked.filter((path) => path.startsWith('/v1/log/entries') || path.startsWith('/v1/log/proof/'))).toEqual([]);
  });

  it('copies the registry’s log while it grows: the same entries and checkpoint, and verify-log passes on the copy', async () => {
    const advanced = rounds.filter((r) => r.status === 'advanced');
    expectWith(advanced.length, 'the mirror followed the writes over several rounds').toBeGreaterThan(1);
    // A failed request is retried next round (see settledRound); nothing may stop the mirror.
    expect(rounds.filter((r) => r.status === 'stopped')).toEqual([]);

    const [fromRegistry, fromMirror] = [api(registry.url), api(mirror.url)];
    expect((await fromMirror.get('/v1/log/checkpoint')).text).toBe((await fromRegistry.get('/v1/log/checkpoint')).text);
    // Every page, by next (a page is cut by bytes too): the same entries, cut the same way.
    let compared = 0;
    for (let start: number | undefined = 0; start !== undefined; ) {
      const path: string = `/v1/log/entries?start=${start}&limit=1000`;
      const [mirrored, served]: Array<{ entries: unknown[]; next?: number }> = [(await fromMirror.get(path)).body, (await fromRegistry.get(path)).body];
      expect(mirrored).toEqual(served);
      compared += served!.entries.length;
      start = served!.next;
    }
    expect(compared).toBe(WRITES);
    expect((await fromMirror.get('/v1/registry')).body).toEqual((await fromRegistry.get('/v1/registry')).body);

    // The registry's own database auditor, run on the mirror's database with the registry's key:
    // every leaf, subtree, checkpoint signature, chain and identity row is as the registry's.
    const report = await auditLog(mirror.database.db, verifierLogKey(vkey)!);
    expect(report.problems).toEqual([]);
    expect(report.entries).toBe(WRITES);
  });

  it('serves lookups that the SDK, pinned to the registry’s key, verifies exactly as the registry’s', async () => {
    const viaRegistry = new RegistryClient({ url: registry.url, vkey });
    const viaMirror = new RegistryClient({ url: mirror.url, vkey });
    const sample = [...identities.filter((_, i) => i % 10 === 0), ...recovered.map((r) => r.identity)];
    for (const identity of sample) {
      const fromMirror = await viaMirror.lookup(identity.userId);
      expect(fromMirror).toEqual(await viaRegistry.lookup(identity.userId));
      expect(fromMirror.head.hash).toBe(recordHash(identity.head));
      expect(fromMirror.status).toBe(identity.head.status);
    }
    for (const { identity, nullified } of recovered) {
      const history = await viaMirror.history(identity.userId);
      expect(history.entries.filter((e) => e.nullified).map((e) => e.hash)).toEqual([nullified]);
      expect(history.entries.map((e) => e.hash)).toEqual((await viaRegistry.history(identity.userId)).entries.map((e) => e.hash));
    }
  });

  it('serves groups that the SDK verifies exactly as the registry’s, admin keys and all', async () => {
    const viaRegistry = new RegistryClient({ url: registry.url, vkey });
    const viaMirror = new RegistryClient({ url: mirror.url, vkey });
    const fromMirror = await viaMirror.group(groupId);
    expect(fromMirror).toEqual(await viaRegistry.group(groupId));
    expect(fromMirror.members.map((m) => m.role)).toEqual(['founder', 'writer', 'reader']);
    expect(await viaMirror.keysFromGroup(groupId, identities[1]!.userId)).toMatchObject({ publicKey: identities[1]!.signing.publicKey });
  });

  it('copies device records, which are not in the log, each checked against the user’s verified key', async () => {
    const viaMirror = new RegistryClient({ url: mirror.url, vkey });
    const viaRegistry = new RegistryClient({ url: registry.url, vkey });
    await waitFor(
      async () => {
        expect(await mirror.follower.round()).toMatchObject({ status: 'current' }); // each round also sweeps some users' devices
        for (const identity of withDevices) expect(await viaMirror.devices(identity.userId)).toEqual(await viaRegistry.devices(identity.userId));
      },
      { timeout: 60_000, interval: 50 },
    );
    expect((await viaMirror.devices(withDevices[0]!.userId)).length).toBe(1);
  });

  it('refuses writes with 404 NOT_FOUND naming the registry, and is ready', async () => {
    const client = api(mirror.url);
    const identity = await newIdentity();
    for (const reply of [await client.post('/v1/users', identity.head), await client.put(`/v1/users/${identity.userId}/devices/${identity.userId}`, {})]) {
      expect(reply.status).toBe(404);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.body.code).toBe('NOT_FOUND');
      expect(reply.body.detail).toContain(proxy.url);
    }
    expect((await client.get('/readyz')).status).toBe(200);
  });

  it('stops at a rewritten history: FORK with both checkpoints, 503 on /readyz, exit 3 from `peerkeys mirror --once`; it keeps serving what it verified', async () => {
    // A second, independent mirror run by the CLI, caught up before the fork.
    const cliDatabase = await cliMirrorDatabase();
    const env = cleanEnv({ ...cliDatabase.env, PEERKEYS_REGISTRY: proxy.url, PEERKEYS_VKEY: vkey, LOG_LEVEL: 'silent' });
    try {
      const before = await peerkeys(['mirror', '--once'], { cwd: tmpdir(), env, timeoutMs: 240_000 });
      expectWith(before.code, before.stderr).toBe(0);
      expect(before.stderr).toContain(`mirrored entries 0–${WRITES - 1}`);

      // The same log key, a different history: what a compromised or misbehaving registry shows.
      const held = (await api(registry.url).get('/v1/log/checkpoint')).text;
      const forked = await startTestRegistry({ logSeed: registry.logSeed });
      try {
        for (let i = 0; i < 3; i++) expect((await api(forked.url).post('/v1/users', (await newIdentity()).head)).status).toBe(201);
        const served = (await api(forked.url).get('/v1/log/checkpoint')).text;
        proxy.upstream = forked.url;

        const result = await settledRound(mirror.follower);
        expect(result).toMatchObject({ status: 'stopped', reason: 'fork', size: WRITES, held, served });
        expect((result as { message: string }).message).toMatch(/^FORK: /);
        expectWith(await mirror.follower.round(), 'it does not follow any more').toBe(result);

        const ready = await api(mirror.url).get('/readyz');
        expect(ready.status).toBe(503);
        expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(ready.body.code).toBe('UNAVAILABLE');
        expect(ready.body.detail).toContain('FORK');

        // Still serving the log it verified, which still verifies against the registry's key.
        const identity = identities[1]!;
        expect((await new RegistryClient({ url: mirror.url, vkey }).lookup(identity.userId)).head.hash).toBe(recordHash(identity.head));
        expect((await api(mirror.url).get('/v1/log/checkpoint')).text).toBe(held);

        const after = await peerkeys(['mirror', '--once'], { cwd: tmpdir(), env, timeoutMs: 240_000 });
        expectWith(after.code, after.stderr).toBe(3);
        expect(after.stderr).toContain('FORK');
        expect(after.stderr).toContain(held);
        expect(after.stderr).toContain(served);
      } finally {
        await forked.close();
      }
    } finally {
      await cliDatabase.drop();
    }
  }, 600_000);
});

describe('what else stops a mirror', () => {
  let small: TestRegistry;
  let smallProxy: TamperingProxy;
  let smallVkey: string;

  beforeAll(async () => {
    small = await startTestRegistry();
    smallVkey = small.service.logKey.vkey;
    for (let i = 0; i < 4; i++) expect((await api(small.url).post('/v1/users', (await newIdentity()).head)).status).toBe(201);
    smallProxy = await startTamperingProxy(small.url);
  }, 120_000);
  afterAll(async () => {
    await smallProxy?.close();
    await small?.close();
  }, 120_000);

  /** One round of a fresh mirror of the small registry, reading /v1/log/entries, its entries answered as `tamper` rewrites them. */
  async function roundThrough(tamper: (entry: { index: number; acceptedAt: string; record: Record<string, unknown> }) => void): Promise<{ result: RoundResult; ready: number }> {
    smallProxy.tamper = ({ path, body }) => {
      if (path.startsWith('/v1/log/entries')) for (const entry of (body as { entries: Array<Parameters<typeof tamper>[0]> }).entries) tamper(entry);
      return body;
    };
    return freshRound({ tiles: 'off' });
  }

  /** One round of a fresh mirror of the small registry through the proxy as it is set. */
  async function freshRound(options: { tiles?: TilesChoice } = {}): Promise<{ result: RoundResult; ready: number }> {
    const fresh = await startTestMirror(smallProxy.url, smallVkey, options);
    try {
      const result = await settledRound(fresh.follower);
      return { result, ready: (await api(fresh.url).get('/readyz')).status };
    } finally {
      await fresh.close();
      smallProxy.tamper = null;
    }
  }

  it('entries that each verify but do not produce the checkpoint’s root are a fork', async () => {
    const { result, ready } = await roundThrough((entry) => {
      // acceptedAt is in the leaf, not in the record's signatures: only the root can catch this.
      if (entry.index === 2) entry.acceptedAt = new Date(Date.parse(entry.acceptedAt) + 1).toISOString();
    });
    expectWith(result, JSON.stringify(result)).toMatchObject({ status: 'stopped', reason: 'fork', code: 'FORK_DETECTED', size: 0 });
    expect((result as { message: string }).message).toContain('do not produce the root');
    expect(ready).toBe(503);
  });

  it('a record that does not verify stops it, naming the entry', async () => {
    const { result, ready } = await roundThrough((entry) => {
      if (entry.index === 1) entry.record['name'] = 'Mallory';
    });
    expectWith(result, JSON.stringify(result)).toMatchObject({ status: 'stopped', reason: 'invalid', code: 'INVALID_ENTRY', size: 0 });
    expect((result as { message: string }).message).toContain('log entry 1');
    expect(ready).toBe(503);
  });

  it('through tiles, a bundle that is not the signed log stops it before anything is replayed or copied', async () => {
    smallProxy.tamper = ({ path, body }) => {
      if (!path.startsWith('/v1/log/tile/entries/')) return body;
      // One digit of entry 2's acceptedAt: still a canonical leaf, no longer the logged one.
      const bytes = Buffer.from(body as Buffer);
      const text = bytes.toString('latin1');
      let at = 0;
      for (let i = 0; i < 2; i++) at += 2 + bytes.readUInt16BE(at);
      const digit = text.indexOf('"acceptedAt":"', at) + '"acceptedAt":"2026-'.length + 4; // the day's second digit
      bytes[digit] = bytes[digit] === 0x31 ? 0x32 : 0x31;
      return bytes;
    };
    const { result, ready } = await freshRound();
    expectWith(result, JSON.stringify(result)).toMatchObject({ status: 'stopped', reason: 'invalid', code: 'BAD_INCLUSION_PROOF', size: 0 });
    expect((result as { message: string }).message).toContain('do not give the root of the checkpoint');
    expect(ready).toBe(503);
  });

  it('an entry of a kind it does not know stops it with a clear message, never skipped', async () => {
    const { result } = await roundThrough((entry) => {
      if (entry.index === 3) entry.record['type'] = 'widget';
    });
    expectWith(result, JSON.stringify(result)).toMatchObject({ status: 'stopped', reason: 'unsupported', code: 'UNKNOWN_ENTRY_KIND', size: 0 });
    expect((result as { message: string }).message).toMatch(/log entry 3 is a "widget" record, a kind this version of peerkeys cannot verify/);
  });

  it('an unreachable registry is retried, not a stop; a fresh mirror is not ready until it has copied the log', async () => {
    const fresh = await startTestMirror('http://127.0.0.1:9', smallVkey);
    try {
      expect(await fresh.follower.round()).toMatchObject({ status: 'retry', size: 0 });
      const ready = await api(fresh.url).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.detail).toMatch(/has not yet copied/);
      expect((await api(fresh.url).get('/v1/log/checkpoint')).status).toBe(503);
    } finally {
      await fresh.close();
    }
  });
});
