// `npm start` (src/start.ts): the registry in a Node process of its own, started with the options
// and environment of src/server-process.ts, with signals passed on and its exit passed back. Runs
// the built launcher (npm test builds dist/ first) against a fresh schema of the test's Postgres;
// reads the server process's command line, environment and parent from /proc, so runs on Linux only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { constants } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { SAME_REQUEST_MS } from '../../src/cli/stop-signals.js';
import { SERVER_ENV, SERVER_NODE_OPTIONS } from '../../src/server-process.js';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { postgresUrl, sql } from '../helpers/database.js';
import { freePort } from '../helpers/private-postgres.js';

const LAUNCHER = `${ROOT}dist/start.js`;
const MAIN = `${ROOT}dist/main.js`;
const READY = 'peerkeys registry listening on';
const database = postgresUrl()!;
const schema = `launcher_${randomBytes(6).toString('hex')}`;
/** One log in the schema, so one key for every server of the suite. */
const logSigningKey = toBase64Url(new Uint8Array(randomBytes(32)));

interface Launched {
  launcher: ChildProcess;
  /** The server's process id, once it listens. */
  server: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Once the launcher has exited and its stdout and stderr are closed: closed by the server too, so once both have ended. */
  closed: Promise<void>;
}

/** Every process a test started, ended after each test if it is still running (a failed test's too). */
const started: ChildProcess[] = [];
const servers: number[] = [];
/** Longer than a start on a loaded machine takes; a start that hangs fails the test with its output. */
const START_DEADLINE_MS = 60_000;

async function settings(): Promise<Record<string, string>> {
  return {
    DATABASE_URL: database,
    DATABASE_SCHEMA: schema,
    LOG_SIGNING_KEY: logSigningKey,
    LOG_ORIGIN: 'launcher.test/peerkeys',
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'info',
  };
}

/** The processes whose parent is `pid` (field 4 of /proc/<pid>/stat, after the parenthesised name). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === pid;
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

/** Whether process `pid` still runs (a zombie, ended but not yet reaped by init, does not). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves once `condition` holds, polling; rejects after `deadlineMs`. */
async function until(condition: () => boolean, deadlineMs = 30_000): Promise<void> {
  for (const end = Date.now() + deadlineMs; !condition(); ) {
    if (Date.now() > end) throw new Error(`still not so after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once process `pid` has ended (polling /proc). */
function ended(pid: number): Promise<void> {
  return until(() => !running(pid));
}

/**
 * Starts the launcher with `env` (and `args` after it, as `npm start -- <args>` would); resolves
 * once the server it started says it listens. With ulimit -c 0, so that a test that ends the
 * server by a core-dumping signal leaves no core file.
 */
async function launch(env: Record<string, string>, args: string[] = []): Promise<Launched> {
  const launcher = spawn('/bin/sh', ['-c', 'ulimit -c 0 && exec "$0" "$@"', process.execPath, LAUNCHER, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(launcher);
  let output = '';
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => launcher.once('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise<void>((resolve) => launcher.once('close', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const outcome = await new Promise<'ready' | 'exited' | 'timeout'>((resolve) => {
    const check = () => (output.includes(READY) ? resolve('ready') : undefined);
    launcher.stdout!.on('data', check);
    void exited.then(() => resolve('exited'));
    timer = setTimeout(() => resolve('timeout'), START_DEADLINE_MS);
  });
  clearTimeout(timer);
  if (outcome === 'exited') throw new Error(`the launcher exited before the server listened:\n${output}`);
  if (outcome === 'timeout') throw new Error(`the server did not listen within ${START_DEADLINE_MS} ms:\n${output}`);
  const children = childrenOf(launcher.pid!);
  if (children.length !== 1) throw new Error(`the launcher has ${children.length} child processes, not one: ${children.join(', ')}`);
  servers.push(children[0]!);
  return { launcher, server: children[0]!, output: () => output, exited, closed };
}

/** The launcher exited 0 after one graceful shutdown of the server, on `signal`, and the server is gone. */
async function expectStoppedGracefully(run: Launched, signal: NodeJS.Signals): Promise<void> {
  expect(await run.exited).toEqual({ code: 0, signal: null });
  expect(run.output().split('\n').filter((line) => line.includes('shutting down: finishing'))).toEqual([expect.stringContaining(`"signal":"${signal}"`)]);
  expect(existsSync(`/proc/${run.server}`)).toBe(false);
}

const describeOnLinux = process.platform === 'linux' ? describe : describe.skip;

describeOnLinux('npm start (src/start.ts)', () => {
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of servers.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
  });
  beforeAll(async () => {
    await sql(database, `CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await sql(database, `DROP SCHEMA "${schema}" CASCADE`);
  });

  it("starts the server with server-process.ts's Node options and environment, and stops it gracefully on SIGTERM", async () => {
    const env = await settings();
    const run = await launch(env);
    try {
      const commandLine = readFileSync(`/proc/${run.server}/cmdline`, 'utf8').split('\0').slice(0, -1);
      expect(commandLine).toEqual([process.execPath, ...SERVER_NODE_OPTIONS, MAIN]);
      // The environment the process started with, as \0-separated NAME=value. glibc, parsing
      // GLIBC_TUNABLES at start, writes \0 over the colons between its tunables (glibc 2.36).
      const environment = `\0${readFileSync(`/proc/${run.server}/environ`, 'utf8')}`;
      for (const [name, value] of Object.entries(SERVER_ENV)) {
        expect([`\0${name}=${value}\0`, `\0${name}=${value.replaceAll(':', '\0')}\0`].some((form) => environment.includes(form))).toBe(true);
      }
      expect(environment).toContain(`\0PORT=${env['PORT']}\0`);
      expect((await fetch(`http://127.0.0.1:${env['PORT']}/readyz`)).status).toBe(200);
    } finally {
      run.launcher.kill('SIGTERM');
    }
    await expectStoppedGracefully(run, 'SIGTERM');
  });

  it("takes a Ctrl-C that reaches both processes (the terminal's, and the one passed on) as one graceful stop", async () => {
    const run = await launch(await settings());
    // As a terminal does: the signal to every process of the foreground group at once.
    process.kill(run.server, 'SIGINT');
    run.launcher.kill('SIGINT');
    await expectStoppedGracefully(run, 'SIGINT');
  });

  it('ends at once, with exit status 1, on a second Ctrl-C a second or more after the first while a request holds up the stop', async () => {
    const env = await settings();
    const run = await launch(env);
    // A write whose body never ends: the graceful stop waits for it (up to its 30 s deadline).
    // With Expect: 100-continue the server answers once it has read the headers, so the request
    // is in flight before the first signal.
    const socket = connect(Number(env['PORT']), '127.0.0.1');
    socket.on('error', () => {}); // cut when the server ends
    socket.write('POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
    expect(String((await once(socket, 'data'))[0])).toMatch(/^HTTP\/1\.1 100 /);
    socket.write('{"half":');
    run.launcher.kill('SIGINT');
    await until(() => run.output().includes('shutting down'));
    await new Promise((resolve) => setTimeout(resolve, SAME_REQUEST_MS + 200));
    run.launcher.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.output()).toContain('stopping at once');
    await ended(run.server);
    socket.destroy();
  });

  it('ends by the signal that ended the server', async () => {
    const run = await launch(await settings());
    process.kill(run.server, 'SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('exits with 128 + n, instead of dumping a second core, when a core-dumping signal ended the server', async () => {
    const run = await launch(await settings());
    process.kill(run.server, 'SIGABRT');
    expect(await run.exited).toEqual({ code: 128 + constants.signals.SIGABRT, signal: null });
  });

  it('passes SIGHUP and SIGQUIT on: the server ends with the launcher', async () => {
    for (const signal of ['SIGHUP', 'SIGQUIT'] as const) {
      const run = await launch(await settings());
      run.launcher.kill(signal);
      // SIGHUP by re-raising it; SIGQUIT, which dumps core, as 128 + n.
      expect(await run.exited).toEqual(signal === 'SIGHUP' ? { code: null, signal } : { code: 128 + constants.signals[signal], signal: null });
      await ended(run.server);
      await run.closed;
      // The server ended by the signal itself, not through a graceful stop.
      expect(run.output()).not.toContain('shutting down');
    }
  });

  it('leaves no server behind when the launcher is killed outright (SIGKILL: nothing passed on)', async () => {
    const run = await launch(await settings());
    run.launcher.kill('SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The server's IPC channel to the launcher ends: it stops gracefully, as on SIGTERM.
    await ended(run.server);
    await run.closed;
    expect(run.output()).toContain('"signal":"disconnect"');
  });

  it("exits with the server's exit status when it fails to start", async () => {
    // With Postgres and no log signing key, the configuration is refused.
    const { LOG_SIGNING_KEY: _key, ...env } = await settings();
    const direct = spawnSync(process.execPath, [MAIN], { cwd: ROOT, env: cleanEnv(env), encoding: 'utf8' });
    expect(direct.status).toBe(2);
    // --json passed through the launcher to the server (as `npm start -- --json`).
    const launched = spawnSync(process.execPath, [LAUNCHER, '--json'], { cwd: ROOT, env: cleanEnv(env), encoding: 'utf8' });
    expect(launched.status).toBe(direct.status);
    expect(JSON.parse(launched.stdout)).toMatchObject({ error: { code: 'CONFIG_ERROR' }, exit: 2 });
  });
});
