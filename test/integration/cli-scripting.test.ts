// The CLI for scripts and for people at a terminal: --json on every command, errors included (one
// JSON object on stdout, the same exit statuses); `lookup` exits 5 for a revoked identity unless
// --allow-revoked; --version; `peerkeys help <command>`; a bad flag named, with the closest one;
// why a fetch failed (connection refused, DNS, TLS); ✔/✖ in colour only on a terminal without
// NO_COLOR; progress only on a terminal, never in --json output.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { nodeSigner } from '../../src/node/node-ed25519.js';
import { cosignerKey, formatCosignerKey } from '../../src/protocol/cosignature.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { cleanEnv, peerkeys, peerkeysBatch, PEERKEYS, ROOT, run, type CliRun } from '../helpers/cli.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

let registry: TestRegistry;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  registry = await startTestRegistry();
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-scripting-'));
  env = cleanEnv({ PEERKEYS_HOME: join(dir, 'home'), PEERKEYS_REGISTRY: registry.url, PEERKEYS_VKEY: registry.service.logKey.vkey });
}, 120_000);
afterAll(async () => {
  await registry?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 120_000);

function cli(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
  return peerkeys(args, { cwd: dir, env: { ...env, ...extra } });
}

/** Command lines whose exit status and output are all the test looks at, one after another in one process (peerkeysBatch). */
function cliBatch(lines: string[][]): Promise<CliRun[]> {
  return peerkeysBatch(lines.map((args) => ({ args, cwd: dir, env })));
}

/** stdout of a --json run: exactly one JSON object, and nothing else. */
function one(run: CliRun): Record<string, any> {
  const value = JSON.parse(run.stdout) as unknown;
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  return value as Record<string, any>;
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`); resolves with everything the terminal showed. */
async function onTerminal(args: string[], extra: Record<string, string | undefined> = {}): Promise<string> {
  const quoted = [process.execPath, PEERKEYS, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const terminalEnv: NodeJS.ProcessEnv = { ...env, TERM: 'xterm', ...extra };
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete terminalEnv[name];
  const result = await run('script', ['-qec', quoted, '/dev/null'], { cwd: dir, env: terminalEnv });
  return result.stdout.replace(/\r/g, '');
}

/** The commands `peerkeys --help` lists. */
async function listedCommands(): Promise<string[]> {
  return [...(await cli(['--help'])).stdout.matchAll(/^ {2}([a-z-]+(?: [a-z]+)?) {2,}\S/gm)].map((m) => m[1]!);
}

describe('--json', () => {
  it('every command takes it: a usage error is one JSON object on stdout, nothing on stderr, exit 2', async () => {
    const commands = await listedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(17);
    const results = await cliBatch(commands.map((name) => [...name.split(' '), '--no-such-flag', '--json']));
    results.forEach((result, i) => {
      expectWith(result.code, commands[i]).toBe(2);
      expectWith(one(result), commands[i]).toMatchObject({ exit: 2, error: { code: 'UNKNOWN_OPTION', option: '--no-such-flag' } });
      expectWith(result.stderr, commands[i]).toBe('');
    });
  });

  it('an identity from keygen to revocation: each result one JSON object; lookup of the revoked identity exits 5', async () => {
    const [keygenRun, register, device, rotate, active, revoke, revoked, human, allowed] = await cliBatch([
      ['keygen', '--json'],
      ['register', '--name', 'Ann', '--json'],
      ['device', '--address', '10.0.0.1:5000', '--json'],
      ['rotate', '--json'],
      ['lookup', '--json'],
      ['revoke', '--yes', '--json'],
      ['lookup', '--json'],
      ['lookup'],
      ['lookup', '--allow-revoked', '--json'],
    ]);
    const keygen = one(keygenRun!);
    expect(keygen).toMatchObject({ userId: expect.stringMatching(/^[0-9a-z]{25}$/), signingKey: { key: expect.any(String), fingerprint: expect.any(String) } });
    expect(JSON.stringify(keygen)).not.toContain('secret');
    expectWith(register!.code, register!.stdout).toBe(0);
    expect(one(register!)).toMatchObject({ userId: keygen['userId'], index: expect.any(Number), checkpoint: { origin: 'test.example/peerkeys' } });
    expect(one(device!)).toMatchObject({ userId: keygen['userId'], addresses: ['10.0.0.1:5000'] });
    expect(one(rotate!)).toMatchObject({ seq: 1 });
    expect(one(active!)).toMatchObject({ status: 'active' });
    expect(one(revoke!)).toMatchObject({ status: 'revoked', seq: 2 });

    expect(revoked!.code).toBe(5);
    expect(one(revoked!)).toMatchObject({ status: 'revoked', error: { code: 'IDENTITY_REVOKED' } });
    expect(human!.code).toBe(5);
    expect(human!.stdout).toMatch(/^status +✖ revoked$/m);
    expect(human!.stderr).toContain(`${keygen['userId']} is revoked`);
    expect(allowed!.code).toBe(0);
    expect(one(allowed!)).not.toHaveProperty('error');
  });

  it('the log commands, pin, state and --version answer with one JSON object', async () => {
    const outputs = await cliBatch([
      ['log', 'checkpoint', '--json'],
      ['log', 'entries', '--json'],
      ['log', 'verify', '--json'],
      ['state', 'show', '--json'],
      ['pin', registry.url, '--json'],
      ['--version', '--json'],
      ['help', 'lookup', '--json'],
      ['keygen', '--seed', '--json'],
    ]);
    for (const output of outputs) expectWith(output.code, output.stdout + output.stderr).toBe(0);
    const [checkpoint, entries, verify, state, pin, version, help, seed] = outputs.map(one);
    expect(checkpoint).toMatchObject({ origin: 'test.example/peerkeys', size: expect.any(Number), mapRoot: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/), time: expect.any(Number) });
    expect(entries!['entries'].length).toBeGreaterThan(0);
    expect(verify).toMatchObject({ complete: true, problems: [], fork: null, mapRootMismatch: null, withoutMapRoot: [] });
    expect(state!['logs']).toHaveLength(1);
    expect(pin).toMatchObject({ origin: 'test.example/peerkeys', keyId: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(version).toEqual({ version: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version });
    expect(help!['help']).toMatch(/^usage: peerkeys lookup/);
    expect(seed!['logSigningKey']).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("mirror --once: the round's result alone on stdout (no service log line in it)", async () => {
    const mirrored = await cli(['mirror', '--once', '--json'], { DATA_DIR: join(dir, 'mirror-data') });
    expectWith(mirrored.code, mirrored.stdout + mirrored.stderr).toBe(0);
    expect(one(mirrored)).toMatchObject({ status: 'advanced', from: 0, size: expect.any(Number) });
  }, 120_000);

  it('a refusal keeps its exit status and carries the registry code', async () => {
    const missing = await cli(['lookup', '0000000000aaaaaaaaaaaaaaa', '--json']);
    expect(missing.code).toBe(1);
    expect(one(missing)).toMatchObject({ exit: 1, error: { code: 'NOT_FOUND', status: 404 } });
  });
});

describe('help, version, and mistakes', () => {
  it('--version, and `peerkeys help <command>` as `<command> --help`', async () => {
    const version = await cli(['--version']);
    expect(version.stdout).toBe(`peerkeys ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
    const names = ['lookup', 'log verify', 'state forget', 'pin'];
    const [unknown, ...helps] = await cliBatch([['help', 'lokup'], ...names.flatMap((name) => [['help', ...name.split(' ')], [...name.split(' '), '--help']])]);
    names.forEach((name, i) => {
      const [viaHelp, viaFlag] = [helps[2 * i]!, helps[2 * i + 1]!];
      expectWith(viaHelp.code, name).toBe(0);
      expectWith(viaHelp.stdout, name).toBe(viaFlag.stdout);
    });
    expect(unknown!.code).toBe(2);
    expect(unknown!.stderr).toContain('did you mean `peerkeys lookup`?');
  });

  it('a bad flag is named, with the closest one; so is a bad command', async () => {
    const [flag, option, command] = await cliBatch([['lookup', '--registy', registry.url], ['log', 'verify', '--from-strat', '--json'], ['log', 'verfy', '--json']]);
    expect(flag!.code).toBe(2);
    expect(flag!.stderr).toContain("Unknown option '--registy'; did you mean --registry?");
    expect(one(option!)).toMatchObject({ error: { code: 'UNKNOWN_OPTION', option: '--from-strat', suggestion: '--from-start' } });
    expect(command!.code).toBe(2);
    expect(one(command!)).toMatchObject({ error: { code: 'UNKNOWN_COMMAND', suggestion: 'log verify' } });
  });

  it('the witness policy from the environment is checked as its flags are: a bad $PEERKEYS_WITNESS_WAIT is a usage error', async () => {
    const witness = formatCosignerKey(cosignerKey('w1.example', nodeSigner(new Uint8Array(32).fill(1)).publicKey));
    const [wait] = await peerkeysBatch([{ args: ['lookup', newPeersId(), '--json'], cwd: dir, env: { ...env, PEERKEYS_WITNESSES: witness, PEERKEYS_WITNESS_WAIT: 'soon' } }]);
    expect(one(wait!)).toMatchObject({ exit: 2, error: { code: 'USAGE' } });
  });
});

describe('why a registry could not be reached (exit 4)', () => {
  let tls: Server;
  let tlsUrl: string;

  beforeAll(async () => {
    // A self-signed certificate, which this machine does not trust.
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=127.0.0.1']);
    tls = createHttpsServer({ key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) }, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    tlsUrl = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
  }, 120_000);
  afterAll(() => new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve())), 120_000);

  const closedPort = () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });

  it('connection refused, a name that does not resolve, a certificate not trusted', async () => {
    const refused = await cli(['log', 'checkpoint', '--registry', `http://127.0.0.1:${await closedPort()}`, '--json']);
    expect(refused.code).toBe(4);
    expect(one(refused)).toMatchObject({ exit: 4, error: { code: 'CONNECTION_REFUSED', cause: 'ECONNREFUSED' } });
    const human = await cli(['log', 'checkpoint', '--registry', `http://127.0.0.1:${await closedPort()}`]);
    expect(human.code).toBe(4);
    expect(human.stderr).toMatch(/connection refused by 127\.0\.0\.1:\d+/);
    expect(human.stderr).not.toContain('fetch failed');

    const dns = await cli(['log', 'checkpoint', '--registry', 'http://no-such-registry.invalid', '--json']);
    expect(dns.code).toBe(4);
    expect(one(dns)).toMatchObject({ error: { code: 'DNS_ERROR' } });

    const certificate = await cli(['log', 'checkpoint', '--registry', tlsUrl, '--json']);
    expect(certificate.code).toBe(4);
    expect(one(certificate)).toMatchObject({ error: { code: 'TLS_ERROR', cause: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/) } });
    const pin = await cli(['pin', tlsUrl, '--json']);
    expect(one(pin)).toMatchObject({ exit: 4, error: { code: 'TLS_ERROR' } });
  });
});

describe('on a terminal', () => {
  it('✔ and ✖ in colour, unless NO_COLOR is set; never colour when output is not a terminal', async () => {
    const coloured = await onTerminal(['log', 'checkpoint'], { NO_COLOR: undefined });
    expect(coloured).toContain('\u001b[32m✔\u001b[0m checkpoint of');
    const plain = await onTerminal(['log', 'checkpoint'], { NO_COLOR: '1' });
    expect(plain).toContain('✔ checkpoint of');
    expect(plain).not.toContain('\u001b[');
    const piped = await cli(['log', 'checkpoint'], { NO_COLOR: '' });
    expect(piped.stdout).toMatch(/^✔ checkpoint of/);
    expect(piped.stdout + piped.stderr).not.toContain('\u001b[');
    const failure = await onTerminal(['lookup', '0000000000aaaaaaaaaaaaaaa'], { NO_COLOR: undefined });
    expect(failure).toContain('\u001b[31m✖\u001b[0m peerkeys lookup:');
  });

  it('log verify draws progress on a terminal only, and never into --json', async () => {
    const drawn = await onTerminal(['log', 'verify', '--from-start', '--cursor', join(dir, 'c1.json')]);
    expect(drawn).toMatch(/verifying log entries: \d+\/\d+ \(100%\)/);
    const piped = await cli(['log', 'verify', '--from-start', '--cursor', join(dir, 'c2.json')]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain('verifying log entries:');
    const json = await onTerminal(['log', 'verify', '--from-start', '--cursor', join(dir, 'c3.json'), '--json']);
    expect(JSON.parse(json)).toMatchObject({ complete: true });
  });
});
