// The peerkeys command-line tool (README "The command-line tool"): the README's shell session runs
// as written against a real registry; every subcommand has --help; usage errors exit 2; and
// `log verify` passes on a healthy log, catches a tampered entry, resumes from its cursor and
// reports a fork.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cleanEnv, peerkeys, peerkeysBatch, PEERKEYS, ROOT, run, type CliRun } from '../helpers/cli.js';
import { foundGroup, groupUpdate, registeredPerson } from '../helpers/groups.js';
import { newIdentity } from '../helpers/identities.js';
import { startTestRegistry, useTestRegistry } from '../helpers/registry.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';
import { expectWith } from '../helpers/expect-with.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const FINGERPRINT = '[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}';

// The CLI is another process: the registry listens.
const registry = useTestRegistry({ listen: true });
let vkey: string;
let dir: string;
let env: NodeJS.ProcessEnv;
/** Everything the CLI printed in this file, to check that no secret key ever appears in it. */
const printed: string[] = [];

beforeAll(() => {
  vkey = registry.service.logKey.vkey;
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-cli-'));
  env = cleanEnv({ PEERKEYS_REGISTRY: registry.url, PEERKEYS_VKEY: vkey, XDG_CONFIG_HOME: join(dir, 'config') });
});
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const result = await peerkeys(args, { cwd: dir, env: { ...env, ...extraEnv } });
  printed.push(result.stdout, result.stderr);
  return result;
}

/** Command lines of which a test looks at nothing but the exit status and output, run in one process (peerkeysBatch). */
async function cliBatch(lines: Array<{ args: string[]; env?: Record<string, string> }>): Promise<CliRun[]> {
  const results = await peerkeysBatch(lines.map(({ args, env: extraEnv = {} }) => ({ args, cwd: dir, env: { ...env, ...extraEnv } })));
  for (const result of results) printed.push(result.stdout, result.stderr);
  return results;
}

/** The README's tested session: the ```sh block after the cli-session marker, one command a line. */
function readmeSession(): string[] {
  const match = /<!-- cli-session:[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(README);
  expectWith(match, 'README.md has a cli-session block').not.toBeNull();
  return match![1]!
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe("the README's shell session", () => {
  const outputs: Array<{ line: string; result: CliRun }> = [];

  beforeAll(async () => {
    for (const line of readmeSession()) {
      expectWith(line, 'every command in the block is a peerkeys command').toMatch(/^npx peerkeys /);
      // `npx peerkeys` is the built bin; run through a shell, as a reader would.
      const command = line.replace(/^npx peerkeys /, `"${process.execPath}" "${PEERKEYS}" `);
      const result = await run('/bin/sh', ['-c', command], { cwd: dir, env });
      printed.push(result.stdout, result.stderr);
      outputs.push({ line, result });
      expectWith(result.code, `${line}\n${result.stdout}${result.stderr}`).toBe(0);
    }
  }, 180_000);

  it('runs keygen → register → rotate → device → lookup → revoke → lookup → log verify, each printing what it did', () => {
    let revoked = false;
    const checks: Record<string, (stdout: string, line: string) => void> = {
      keygen: (out) => {
        expect(out).toMatch(/^userId +[0-9a-z]{25}$/m);
        expect(out).toMatch(new RegExp(`^signing key +[A-Za-z0-9_-]{43}  ${FINGERPRINT}$`, 'm'));
        expect(out).toMatch(new RegExp(`^recovery key +[A-Za-z0-9_-]{43}  ${FINGERPRINT}$`, 'm'));
      },
      register: (out) => expect(out).toMatch(/^✔ registered [0-9a-z]{25} at log index \d+ \(verified in the registry's checkpoint of \d+ entries\)$/m),
      rotate: (out) => expect(out).toMatch(/^✔ rotated [0-9a-z]{25} \(seq 1\) at log index \d+$/m),
      device: (out) => expect(out).toMatch(/^✔ published device [0-9a-z]{25} of [0-9a-z]{25}: 192\.168\.1\.20:5000$/m),
      revoke: (out) => {
        expect(out).toMatch(/^✔ revoked [0-9a-z]{25} \(seq 2\) at log index \d+$/m);
        revoked = true;
      },
      lookup: (out, line) => {
        expect(out).toMatch(revoked ? /^status +✖ revoked$/m : /^status +✔ active$/m);
        expect(out).toMatch(/^name +Alice$/m);
        expect(out).toMatch(/^id binding +self-certifying \(/m); // keygen made an id derived from its rotation key
        expect(out).toMatch(new RegExp(`^signing key +[A-Za-z0-9_-]{43}  ${FINGERPRINT}$`, 'm'));
        expect(out).toMatch(/^verified +✔ chain of \d record\(s\), proven in the checkpoint of \d+ entries signed by test\.example\/peerkeys$/m);
        if (!revoked) expect(out).toMatch(/^device +[0-9a-z]{25} active: 192\.168\.1\.20:5000$/m);
        if (line.includes('--history')) expect(out.match(/^ {2}index \d+ {2}seq \d/gm)).toHaveLength(3);
      },
      log: (out) => expect(out).toMatch(/^✔ log verified: \d+ entries, root \S+, the registry's checkpoint of size \d+, key map root \S+$/m),
    };
    expect(outputs.length).toBeGreaterThanOrEqual(6);
    for (const { line, result } of outputs) {
      const subcommand = line.split(/\s+/)[2]!;
      expectWith(checks, `the test knows what \`${line}\` should print`).toHaveProperty(subcommand);
      checks[subcommand]!(result.stdout, line);
    }
    expect(revoked).toBe(true);
  });

  it('keeps the keys in a file only its owner can read, in the config folder, and never prints a secret key', () => {
    expect(readdirSync(dir)).toEqual(['config']); // nothing, let alone a keys file, in the working directory
    const path = join(dir, 'config', 'peerkeys', 'identity.json');
    expect(statSync(join(dir, 'config', 'peerkeys')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(readFileSync(path, 'utf8')) as { keys: Array<{ secretKey: string }> };
    expect(keys.keys.length).toBeGreaterThanOrEqual(5); // keygen's four, and rotate's new signing key
    for (const { secretKey } of keys.keys) for (const text of printed) expect(text).not.toContain(secretKey);
  });

  it('refuses to overwrite a keys file without --force (exit 2)', async () => {
    const again = await cli(['keygen']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });
});

describe('help and usage', () => {
  let listed: Promise<string[]> | undefined;
  /** The commands `peerkeys --help` lists: asked once, of a process of its own, for the tests below. */
  function listedCommands(): Promise<string[]> {
    listed ??= cli(['--help']).then((help) => {
      expect(help.code).toBe(0);
      return [...help.stdout.matchAll(/^ {2}([a-z-]+(?: [a-z]+)?) {2,}\S/gm)].map((m) => m[1]!);
    });
    return listed;
  }

  it('--help for every subcommand exits 0 and shows its usage; `peerkeys --help` documents the exit statuses', async () => {
    const commands = await listedCommands();
    expect(commands).toEqual(
      expect.arrayContaining(['serve', 'migrate', 'verify-log', 'mirror', 'keygen', 'register', 'rotate', 'revoke', 'recover', 'device', 'lookup', 'log checkpoint', 'log entries', 'log verify']),
    );
    const [help, log, ...results] = await cliBatch([{ args: ['--help'] }, { args: ['log', '--help'] }, ...commands.map((name) => ({ args: [...name.split(' '), '--help'] }))]);
    for (const code of ['0', '1', '2', '3', '4']) expect(help!.stdout).toMatch(new RegExp(`^ {2}${code} {2}\\S`, 'm'));
    results.forEach((result, i) => {
      expectWith(result.code, commands[i]).toBe(0);
      expectWith(result.stdout, commands[i]).toMatch(new RegExp(`^usage: peerkeys ${commands[i]}\\b`));
    });
    expect(log!.code).toBe(0);
  });

  it('an unknown flag, an unknown command or a missing argument exits 2 and says what to do', async () => {
    const commands = await listedCommands();
    const [none, log, noRegistry, badVkey, noUndo, ...results] = await cliBatch([
      { args: [] },
      { args: ['log'] },
      { args: ['lookup', '0000000000aaaaaaaaaaaaaaa'], env: { PEERKEYS_REGISTRY: '' } },
      { args: ['log', 'checkpoint', '--vkey', 'not-a-key'] },
      { args: ['recover'] },
      ...commands.map((name) => ({ args: [...name.split(' '), '--no-such-flag'] })),
    ]);
    results.forEach((result, i) => {
      expectWith(result.code, commands[i]).toBe(2);
      expectWith(result.stderr, commands[i]).toMatch(/Unknown option '--no-such-flag'/);
    });
    // One of them as a process of its own: the status is the process's exit status.
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect(none!.code).toBe(2);
    expect(log!.code).toBe(2);

    expect(noRegistry!.code).toBe(2);
    expect(noRegistry!.stderr).toContain('--registry');
    expect(badVkey!.code).toBe(2);
    expect(noUndo!.code).toBe(2);
    expect(noUndo!.stderr).toContain('--undo-from');
  });

  it('a registry that cannot be reached exits 4; one that refuses exits 1 with its code', async () => {
    const [unreachable, missing] = await cliBatch([{ args: ['log', 'checkpoint', '--registry', 'http://127.0.0.1:9'] }, { args: ['lookup', '0000000000aaaaaaaaaaaaaaa'] }]);
    expect(unreachable!.code).toBe(4);
    expect(missing!.code).toBe(1);
    expect(missing!.stderr).toContain('NOT_FOUND');
  });

  it('keygen --seed prints a fresh LOG_SIGNING_KEY', async () => {
    const [a, b] = await cliBatch([{ args: ['keygen', '--seed'] }, { args: ['keygen', '--seed'] }]);
    expect(a!.code).toBe(0);
    expect(a!.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(a!.stdout).not.toBe(b!.stdout);
  });
});

describe('log verify', () => {
  let proxy: TamperingProxy;

  beforeAll(async () => {
    // A few more entries, so pages and the cursor have something to cover — a group among them.
    for (let i = 0; i < 4; i++) expect((await registry.api.post('/v1/users', (await newIdentity()).head)).status).toBe(201);
    const founder = await registeredPerson(registry.app, 'Fay');
    const group = await foundGroup(founder, 'Verifiers');
    expect((await registry.api.post('/v1/groups', group)).status).toBe(201);
    expect((await registry.api.post(`/v1/groups/${group.groupId}`, await groupUpdate(group, founder, [...group.members]))).status).toBe(200);
    proxy = await startTamperingProxy(registry.url);
  }, 120_000);
  afterAll(() => proxy?.close(), 120_000);

  const size = async () => Number((await registry.api.get('/v1/log/checkpoint')).text.split('\n')[1]);

  it('passes on a healthy registry (exit 0)', async () => {
    const result = await cli(['log', 'verify', '--from-start', '--cursor', 'healthy.json']);
    expectWith(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`log verified: ${await size()} entries`);
  });

  it('detects a tampered entry from /v1/log/entries (exit 1), names its index, and does not move its cursor past it', async () => {
    proxy.tamper = ({ path, body }) => {
      if (path.startsWith('/v1/log/entries')) {
        const entry = (body as { entries: Array<{ index: number; record: Record<string, unknown> }> }).entries.find((e) => e.index === 1);
        if (entry !== undefined) entry.record['name'] = 'Mallory';
      }
      return body;
    };
    try {
      const tampered = await cli(['log', 'verify', '--tiles', 'off', '--registry', proxy.url, '--state', 'proxy-state.json', '--cursor', 'tampered.json']);
      expectWith(tampered.code, tampered.stderr).toBe(1);
      expect(tampered.stdout).toMatch(/^✖ log verification FAILED/m);
      expect(tampered.stdout).toMatch(/^index 1: log entry 1: BAD_SIGNATURE/m);
    } finally {
      proxy.tamper = null;
    }
    const honest = await cli(['log', 'verify', '--registry', proxy.url, '--state', 'proxy-state.json', '--cursor', 'tampered.json']);
    expectWith(honest.code, honest.stderr).toBe(0);
    expect(honest.stderr).not.toContain('resumed');
  });

  it('verifies from a copy of the tiles on any static server (--tiles <url>), as from the registry', async () => {
    const entries = await size();
    const copy = mkdtempSync(join(tmpdir(), 'peerkeys-tiles-'));
    for (const path of ['checkpoint', `tile/0/000.p/${entries}`, `tile/entries/000.p/${entries}`]) {
      const reply = await registry.api.get(`/v1/log/${path}`);
      expect(reply.status).toBe(200);
      mkdirSync(dirname(join(copy, path)), { recursive: true });
      writeFileSync(join(copy, path), reply.bytes);
    }
    // Files and nothing else: what a bucket or a CDN serves.
    const server = http.createServer((req, res) => {
      const file = join(copy, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
      if (!file.startsWith(copy) || !existsSync(file) || statSync(file).isDirectory()) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await cli(['log', 'verify', '--from-start', '--tiles', `http://127.0.0.1:${port}/`, '--cursor', 'static.json']);
      expectWith(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`log verified: ${entries} entries`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('resumes from its cursor', async () => {
    // One after the other, in one process: the second reads the cursor the first left.
    const [first, second] = await cliBatch([{ args: ['log', 'verify', '--cursor', 'resume.json', '--from-start', '--max-entries', '3'] }, { args: ['log', 'verify', '--cursor', 'resume.json'] }]);
    expectWith(first!.code, first!.stderr).toBe(0);
    expect(first!.stdout).toContain(`verified 3 of ${await size()} entries so far; run again to continue`);
    expectWith(second!.code, second!.stderr).toBe(0);
    expect(second!.stderr).toContain('resumed at entry 3');
    expect(second!.stdout).toContain(`log verified: ${await size()} entries`);
  });

  it('reports a registry that rewrote its history as a fork (exit 3)', async () => {
    // The same log key, a longer and different history: inconsistent with the checkpoint seen.
    const forked = await startTestRegistry({ logSeed: registry.logSeed });
    try {
      for (let i = 0; i < (await size()) + 2; i++) expect((await forked.api.post('/v1/users', (await newIdentity()).head)).status).toBe(201);
      proxy.upstream = forked.url;
      const checkpoint = await cli(['log', 'checkpoint', '--registry', proxy.url]);
      expectWith(checkpoint.code, checkpoint.stderr).toBe(3);
      expect(checkpoint.stderr).toContain('LOG FORK');
      const verify = await cli(['log', 'verify', '--registry', proxy.url, '--cursor', 'healthy.json']);
      expectWith(verify.code, verify.stderr).toBe(3);
    } finally {
      proxy.upstream = registry.url;
      await forked.close();
    }
  });
});
