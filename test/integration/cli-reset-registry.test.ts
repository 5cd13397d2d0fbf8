// The loop, end to end: a local registry is restarted on a fresh data folder. With a new
// key (PEERKEYS_VKEY updated), the CLI must simply work: its state is kept per log (origin and
// key), not per origin. With the same key, the log went backwards: the CLI says exactly that,
// and how to proceed (`peerkeys state forget <origin>`), and a write the registry accepted but
// whose receipt did not verify is reported as "accepted at index N, receipt not verified: …".
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, peerkeys, type CliRun } from '../helpers/cli.js';
import { api } from '../helpers/http.js';
import { newIdentity } from '../helpers/identities.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const ORIGIN = 'test.example/peerkeys';

let dir: string;
let port: number;
let registry: TestRegistry | null = null;
let vkey: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A registry on the same port each time, on a fresh database: with a new key, or the given one. */
async function restart(logSeed?: Uint8Array): Promise<TestRegistry> {
  await registry?.close();
  registry = await startTestRegistry({ env: { PORT: String(port) }, ...(logSeed !== undefined ? { logSeed } : {}) });
  expect(registry.url).toBe(`http://127.0.0.1:${port}`);
  vkey = registry.service.logKey.vkey;
  return registry;
}

const keyId = (v: string) => v.split('+')[1]!;

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return peerkeys(args, {
    cwd: dir,
    env: cleanEnv({ PEERKEYS_HOME: join(dir, 'home'), PEERKEYS_REGISTRY: `http://127.0.0.1:${port}`, PEERKEYS_VKEY: vkey, ...env }),
  });
}

/** A --json run: exactly one JSON object on stdout. */
function parsed(run: CliRun): Record<string, any> {
  return JSON.parse(run.stdout) as Record<string, any>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-reset-'));
  port = await freePort();
});
afterAll(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a registry restarted on a fresh data folder', () => {
  let firstVkey: string;

  it('first: an identity registered and rotated (the client verified a log of two entries)', async () => {
    await restart();
    firstVkey = vkey;
    expect((await cli(['keygen'])).code).toBe(0);
    const registered = await cli(['register', '--name', 'Alice']);
    expect(registered.code, registered.stderr).toBe(0);
    expect((await cli(['rotate'])).code).toBe(0);
  }, 60_000);

  it('with a new key and PEERKEYS_VKEY updated, register works: the state is per log, not per origin', async () => {
    await restart();
    expect(keyId(vkey)).not.toBe(keyId(firstVkey));
    // Before state was keyed by log, this failed: STALE_ANSWER, exit 1, though the record was accepted.
    const registered = await cli(['register', '--name', 'Alice']);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toMatch(/^✔ registered [0-9a-z]{25} at log index 0 /m);
    const lookup = await cli(['lookup', '--json']);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(parsed(lookup)).toMatchObject({ status: 'active', head: { index: 0 } });
    const state = parsed(await cli(['state', 'show', '--json']));
    expect(state['logs'].map((l: { origin: string; keyId: string }) => [l.origin, l.keyId]).sort()).toEqual([[ORIGIN, keyId(firstVkey)], [ORIGIN, keyId(vkey)]].sort());
  }, 60_000);

  it('with the old vkey still pinned, says so with both key ids side by side (exit 1), also for an accepted write', async () => {
    const human = await cli(['lookup'], { PEERKEYS_VKEY: firstVkey });
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(new RegExp(`^ +pinned +${ORIGIN.replace('.', '\\.')} +${keyId(firstVkey)} +[0-9A-Z]{4}(-[0-9A-Z]{4}){4} +\\(\\$PEERKEYS_VKEY\\)$`, 'm'));
    expect(human.stderr).toMatch(new RegExp(`^ +presented +${ORIGIN.replace('.', '\\.')} +${keyId(vkey)} +[0-9A-Z]{4}(-[0-9A-Z]{4}){4} `, 'm'));

    const lookup = await cli(['lookup', '--json'], { PEERKEYS_VKEY: firstVkey });
    expect(lookup.code).toBe(1);
    expect(parsed(lookup)).toMatchObject({ exit: 1, error: { code: 'VKEY_MISMATCH', pinned: { keyId: keyId(firstVkey) }, presented: [{ keyId: keyId(vkey) }] } });

    expect((await cli(['keygen', '--keys', join(dir, 'home', 'bob.json')])).code).toBe(0);
    const write = await cli(['register', '--keys', join(dir, 'home', 'bob.json'), '--json'], { PEERKEYS_VKEY: firstVkey });
    expect(write.code).toBe(1);
    expect(parsed(write)).toMatchObject({ exit: 1, error: { code: 'RECEIPT_NOT_VERIFIED', index: 1, check: 'VKEY_MISMATCH' } });
    expect(parsed(write)['error'].message).toMatch(/^accepted at index 1, receipt not verified: /);
    expect((await cli(['lookup'])).code).toBe(0); // with the right key: the client has now verified two entries
  }, 60_000);

  it('with the SAME key on a fresh database, the log went backwards: said exactly, with `peerkeys state forget`', async () => {
    await restart(registry!.logSeed);
    const write = await cli(['register', '--name', 'Alice', '--json']);
    expect(write.code).toBe(1);
    expect(parsed(write)).toMatchObject({
      exit: 1,
      error: {
        code: 'RECEIPT_NOT_VERIFIED',
        index: 0,
        check: 'STALE_ANSWER',
        what: 'backwards',
        log: { origin: ORIGIN, keyId: keyId(vkey) },
        verifiedSize: 2,
        presentedSize: 1,
        fix: `peerkeys state forget ${ORIGIN}`,
      },
    });
    const human = await cli(['lookup']);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`the log ${ORIGIN} (key ${keyId(vkey)}) went backwards: this client verified a checkpoint of 2 entries before`);
    expect(human.stderr).toContain(`\`peerkeys state forget ${ORIGIN}\``);
  }, 60_000);

  it('`peerkeys state forget <origin>` keeps a copy, and the client then takes the log as it is now', async () => {
    const forget = await cli(['state', 'forget', ORIGIN, '--json']);
    expect(forget.code, forget.stderr).toBe(0);
    const result = parsed(forget);
    expect(result['forgotten'].map((l: { keyId: string }) => l.keyId).sort()).toEqual([keyId(firstVkey), keyId(vkey)].sort());
    expect(existsSync(result['archive'])).toBe(true);
    expect(readFileSync(result['archive'], 'utf8')).toContain(`— ${ORIGIN} `); // the signed checkpoints, as evidence
    const lookup = await cli(['lookup']);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(lookup.stdout).toMatch(/^status +✔ active$/m);
  }, 60_000);

  it('the same key showing another log of the same size: a fork (exit 3), said as such', async () => {
    await restart(registry!.logSeed);
    expect((await api(registry!.url).post('/v1/users', (await newIdentity()).head)).status).toBe(201);
    const checkpoint = await cli(['log', 'checkpoint', '--json']);
    expect(checkpoint.code).toBe(3);
    expect(parsed(checkpoint)).toMatchObject({ exit: 3, error: { code: 'LOG_FORK', what: 'fork', verifiedSize: 1, presentedSize: 1 } });
  }, 60_000);
});
