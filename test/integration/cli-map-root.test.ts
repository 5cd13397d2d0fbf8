// Issue 15, acceptance 1, last case: a checkpoint whose key map root is not the function of the log.
// The registry's own key signs, over the real log and its real log root, a map root that is not
// the fold of its entries (planted in its database, as a registry signing a false map would serve
// it). `peerkeys log verify`, `peerkeys verify-log` and the mirror (in process and
// `peerkeys mirror --once`) each stop with MAP_ROOT_MISMATCH, exit 3 and the signed note as
// evidence; with the right map root they pass; a checkpoint without map lines (a registry from
// before the key map) is said to have no map root to check, and is not a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toBase64, toBase64Url } from '../../src/protocol/encoding.js';
import { cleanEnv, peerkeys, peerkeysBatch, type CliRun } from '../helpers/cli.js';
import { openTestDatabase } from '../helpers/database.js';
import { expectWith } from '../helpers/expect-with.js';
import { foundGroup, registeredPerson } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord } from '../helpers/identities.js';
import { MirrorFollower } from '../../src/mirror/follower.js';
import { RegistryFeed } from '../../src/mirror/registry-feed.js';
import { startTestMirror } from '../helpers/mirror.js';
import { foldedMapRoot, plantCheckpoint } from '../helpers/planted-log.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let vkey: string;
let dir: string;
/** The map root of the log, folded by the test from the stored entries. */
let right: Uint8Array;
/** A map root the log does not give: the right one with its first bit flipped. */
let wrong: Uint8Array;
let size: number;

beforeAll(async () => {
  // No fresh checkpoint of the registry's own replaces the planted ones while the tests read them.
  registry = await startTestRegistry({ checkpointIntervalMs: 86_400_000 });
  vkey = registry.service.logKey.vkey;
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-map-root-'));
  const client = api(registry.url);
  const rotated = await newIdentity({ quickKeys: true });
  expect((await client.post('/v1/users', rotated.head)).status).toBe(201);
  const update = await nextRecord(rotated);
  expect((await client.post(`/v1/users/${rotated.userId}`, update)).status).toBe(200);
  expect((await client.post('/v1/users', (await newIdentity({ quickKeys: true })).head)).status).toBe(201);
  const founder = await registeredPerson(registry.url, 'Ada');
  expect((await client.post('/v1/groups', await foundGroup(founder, 'readers'))).status).toBe(201);
  size = (await client.get('/v1/log/entries?start=0')).body.entries.length;
  right = await foldedMapRoot(registry);
  wrong = right.slice();
  wrong[0]! ^= 0x80;
}, 120_000);
afterAll(async () => {
  await registry?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 120_000);

let runs = 0;
/**
 * A client of its own: a state file that has seen no checkpoint of this log (one that saw another
 * map root for the same size would refuse the checkpoint as LOG_FORK before the fold).
 */
function freshClientEnv(): NodeJS.ProcessEnv {
  return cleanEnv({ PEERKEYS_REGISTRY: registry.url, PEERKEYS_VKEY: vkey, XDG_CONFIG_HOME: join(dir, `config-${runs++}`) });
}

const LOG_VERIFY = ['log', 'verify', '--from-start', '--cursor', 'cursor.json'];

/** `peerkeys log verify --json` from entry 0, as a fresh client. */
async function logVerify(): Promise<CliRun & { report: Record<string, unknown> }> {
  const result = await peerkeys([...LOG_VERIFY, '--json'], { cwd: dir, env: freshClientEnv() });
  return { ...result, report: JSON.parse(result.stdout) as Record<string, unknown> };
}

/** `peerkeys log verify`, `--json` then for people, each as a fresh client, in one Node process (peerkeysBatch). */
async function logVerifyBoth(): Promise<{ json: CliRun & { report: Record<string, unknown> }; human: CliRun }> {
  const [json, human] = await peerkeysBatch([
    { args: [...LOG_VERIFY, '--json'], cwd: dir, env: freshClientEnv() },
    { args: LOG_VERIFY, cwd: dir, env: freshClientEnv() },
  ]);
  return { json: { ...json!, report: JSON.parse(json!.stdout) as Record<string, unknown> }, human: human! };
}

/** `peerkeys verify-log` on the registry's own database. */
async function verifyLog(json: boolean): Promise<CliRun> {
  const env = cleanEnv({
    DATABASE_URL: registry.database.url!,
    DATABASE_SCHEMA: registry.database.schema!,
    LOG_SIGNING_KEY: toBase64Url(registry.logSeed),
    LOG_ORIGIN: registry.config.log.origin,
  });
  return peerkeys(['verify-log', ...(json ? ['--json'] : [])], { cwd: dir, env });
}

describe('the registry’s own checkpoints', () => {
  it('sign the map root every verifier folds from the log', async () => {
    const [{ code, report, stderr }, audit] = await Promise.all([logVerify(), verifyLog(true)]);
    expectWith(code, stderr).toBe(0);
    expect(report).toMatchObject({ checkpoint: { size, mapRoot: toBase64(right) }, mapRoot: toBase64(right), mapRootMismatch: null, withoutMapRoot: [], problems: [] });
    expectWith(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ entries: size, mapRoot: toBase64(right), withoutMapRoot: 0, mapRootMismatch: null, problems: [] });
  });
});

describe('a checkpoint without map lines (a registry from before the key map)', () => {
  beforeAll(async () => {
    await plantCheckpoint(registry, null);
  }, 60_000);

  it('log verify passes and says there is no map root to check', async () => {
    const { code, report, stderr } = await logVerify();
    expectWith(code, stderr).toBe(0);
    expect(report).toMatchObject({ verified: size, checkpoint: { size, mapRoot: null }, mapRoot: toBase64(right), mapRootMismatch: null, withoutMapRoot: [size], problems: [] });
  });

  it('verify-log passes and counts it', async () => {
    const result = await verifyLog(true);
    expectWith(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ entries: size, mapRoot: toBase64(right), mapRootMismatch: null, problems: [] });
    expect((JSON.parse(result.stdout) as { withoutMapRoot: number }).withoutMapRoot).toBeGreaterThanOrEqual(1);
  });

  it('a mirror copies the log and says the map root is absent', async () => {
    const mirror = await startTestMirror(registry.url, vkey);
    try {
      expect(await mirror.follower.round()).toEqual({ status: 'advanced', from: 0, size, mapRoot: 'absent' });
    } finally {
      await mirror.close();
    }
  });
});

describe('a checkpoint whose map root is the fold of its entries', () => {
  beforeAll(async () => {
    await plantCheckpoint(registry, right);
  }, 60_000);

  it('log verify passes', async () => {
    const { code, report, stderr } = await logVerify();
    expectWith(code, stderr).toBe(0);
    expect(report).toMatchObject({ checkpoint: { size, mapRoot: toBase64(right) }, mapRoot: toBase64(right), mapRootMismatch: null, withoutMapRoot: [], problems: [] });
  });

  it('verify-log passes', async () => {
    const result = await verifyLog(false);
    expectWith(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`key map root ${toBase64(right)}`);
  });
});

describe('a checkpoint signed long ago (an idle registry behind a mirror, one that stopped)', () => {
  it('log verify verifies the log all the same (clients refuse it: STALE_CHECKPOINT), and says how old it is', async () => {
    const time = Date.now() - 60 * 60 * 1000;
    await plantCheckpoint(registry, right, time);
    const {
      json: { code, report, stderr },
      human,
    } = await logVerifyBoth();
    expectWith(code, stderr).toBe(0);
    expect(report).toMatchObject({ checkpoint: { size, mapRoot: toBase64(right), time }, mapRootMismatch: null, problems: [] });
    expectWith(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain(`signed at ${new Date(time).toISOString()}`);
  });
});

describe('a checkpoint whose map root is not the fold of its entries', () => {
  let note: string;
  beforeAll(async () => {
    note = await plantCheckpoint(registry, wrong);
  }, 60_000);
  const evidence = () => ({ code: 'MAP_ROOT_MISMATCH', size, mapRoot: toBase64(wrong), recomputed: toBase64(right), note });

  it('log verify: exit 3, MAP_ROOT_MISMATCH with the signed note', async () => {
    const {
      json: { code, report, stderr },
      human,
    } = await logVerifyBoth();
    expectWith(code, stderr).toBe(3);
    expect(report).toMatchObject({ mapRootMismatch: evidence(), fork: null, problems: [] });
    expectWith(human.code, human.stderr).toBe(3);
    expect(human.stdout).toContain('MAP_ROOT_MISMATCH');
    expect(human.stdout).toContain(note);
  });

  it('log verify by a client that verified the right map root for that size: exit 3, whichever check sees it first', async () => {
    const env = freshClientEnv();
    await plantCheckpoint(registry, right);
    const before = await peerkeys([...LOG_VERIFY, '--json'], { cwd: dir, env });
    expectWith(before.code, before.stderr).toBe(0);
    note = await plantCheckpoint(registry, wrong);
    const after = await peerkeys([...LOG_VERIFY, '--json'], { cwd: dir, env });
    expectWith(after.code, after.stderr).toBe(3);
    const report = JSON.parse(after.stdout) as { error?: unknown };
    // An SDK that keeps the map root of the checkpoint it verified refuses the other one itself
    // (LOG_FORK, two maps of one log); one that does not leaves it to the fold.
    if (report.error === undefined) expect(report).toMatchObject({ mapRootMismatch: evidence() });
    else expect(report.error).toMatchObject({ code: 'LOG_FORK', what: 'map', verifiedMapRoot: toBase64(right), presentedMapRoot: toBase64(wrong) });
  });

  it('verify-log: exit 3, MAP_ROOT_MISMATCH with the signed note', async () => {
    const [json, human] = await Promise.all([verifyLog(true), verifyLog(false)]);
    expectWith(json.code, json.stderr).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ mapRootMismatch: evidence(), problems: [] });
    expectWith(human.code, human.stderr).toBe(3);
    expect(human.stdout).toContain('MAP_ROOT_MISMATCH');
    expect(human.stdout).toContain(note);
  });

  it('a mirror that copies the log stops with MAP_ROOT_MISMATCH and the signed note, copies nothing, and is not ready', async () => {
    const mirror = await startTestMirror(registry.url, vkey);
    try {
      const result = await mirror.follower.round();
      expect(result).toMatchObject({ status: 'stopped', reason: 'map', code: 'MAP_ROOT_MISMATCH', size: 0, served: note, mapRoot: toBase64(wrong), recomputed: toBase64(right) });
      expect((await api(mirror.url).get('/readyz')).status).toBe(503);
      expect((await api(mirror.url).get('/v1/log/checkpoint')).status).toBe(503);
    } finally {
      await mirror.close();
    }
  });

  it('a mirror that holds the log, restarted, serves the newest note of its size, and stops when the registry signs a false map root for the same size', async () => {
    await plantCheckpoint(registry, right);
    const mirror = await startTestMirror(registry.url, vkey);
    try {
      expect(await mirror.follower.round()).toEqual({ status: 'advanced', from: 0, size, mapRoot: 'verified' });
      // As after a restart: the map from the mirror's own tables, not from the round that copied the log.
      const restarted = new MirrorFollower({ db: mirror.service.db, feed: new RegistryFeed({ url: registry.url, vkey }) });
      await restarted.checkDatabase();
      expect(await restarted.round()).toEqual({ status: 'current', size, mapRoot: 'verified' });
      // A note of the same size signed later (as the registry signs one every CHECKPOINT_INTERVAL_SECONDS) is the one the mirror serves from then on.
      const fresh = await plantCheckpoint(registry, right);
      expect(await restarted.round()).toEqual({ status: 'current', size, mapRoot: 'verified' });
      expect((await api(mirror.url).get('/v1/log/checkpoint')).text).toBe(fresh);
      note = await plantCheckpoint(registry, wrong);
      expect(await restarted.round()).toMatchObject({ status: 'stopped', reason: 'map', code: 'MAP_ROOT_MISMATCH', size, served: note });
      expect((await api(mirror.url).get('/v1/log/checkpoint')).text).toBe(fresh);
    } finally {
      await mirror.close();
    }
  });

  it('`peerkeys mirror --once`: exit 3, printing MAP_ROOT_MISMATCH and the note', async () => {
    note = await plantCheckpoint(registry, wrong);
    const database = await openTestDatabase();
    try {
      const env = cleanEnv({ DATABASE_URL: database.url!, DATABASE_SCHEMA: database.schema!, PEERKEYS_REGISTRY: registry.url, PEERKEYS_VKEY: vkey, LOG_LEVEL: 'silent' });
      const result = await peerkeys(['mirror', '--once'], { cwd: dir, env });
      expectWith(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain('MAP_ROOT_MISMATCH');
      expect(result.stderr).toContain(note);
    } finally {
      await database.close();
    }
  });
});
