/**
 * The built registry (`peerkeys serve`, npm test builds dist/ first) in a child process of its
 * own, on a fresh schema of the test's Postgres (DATABASE_URL, or the Jest worker's embedded one,
 * which runs in yet another process): for tests that measure the server itself — its resident
 * memory is its own, not the test runner's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { fromBase64Url, toBase64Url } from '../../src/protocol/encoding.js';
import { cleanEnv, PEERKEYS, ROOT } from './cli.js';
import { postgresUrl, sql } from './database.js';
import { freePort } from './private-postgres.js';

export interface ChildRegistry {
  url: string;
  pid: number;
  /** The process's resident set size now, in bytes (Linux: /proc/<pid>/status). */
  rss(): number;
  /** The CPU time the process has used so far, user and system, in ms (Linux: /proc/<pid>/stat, at 100 ticks a second). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Starts `peerkeys serve` with `env` on top of a test configuration; resolves once /readyz answers
 * 200 and /v1/registry names the child's own key (a port taken meanwhile is tried again, twice). `schema`: a schema of the test's Postgres that the caller made and drops (several
 * registry processes on one database); by default a fresh one of the child's own.
 */
export async function startChildRegistry(env: Record<string, string> = {}, options: { schema?: string } = {}): Promise<ChildRegistry> {
  const database = postgresUrl();
  if (database === null) throw new Error('no Postgres for the child registry: run under Jest (npm test)');
  const schema = options.schema ?? `child_${randomBytes(6).toString('hex')}`;
  if (options.schema === undefined) await sql(database, `CREATE SCHEMA "${schema}"`);
  const settings: Record<string, string> = {
    DATABASE_URL: database,
    DATABASE_SCHEMA: schema,
    LOG_SIGNING_KEY: toBase64Url(new Uint8Array(randomBytes(32))),
    LOG_ORIGIN: 'child.test/peerkeys',
    HOST: '127.0.0.1',
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'warn',
    ...env,
  };
  // What this child's /v1/registry must announce: on a machine that runs other suites, the free
  // port picked may be taken again before the child listens, and whatever answers there is not it.
  const seed = fromBase64Url(settings['LOG_SIGNING_KEY'] ?? '', 32);
  const vkey = seed === null ? null : logKeyFromSeed(settings['LOG_ORIGIN']!, seed).vkey;
  for (let attempt = 1; ; attempt++) {
    const port = Number(env['PORT'] ?? (await freePort()));
    const child: ChildProcess = spawn(process.execPath, [PEERKEYS, 'serve'], {
      cwd: ROOT,
      env: cleanEnv({ ...settings, PORT: String(port) }),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    const outcome = await untilReady(child, url, vkey);
    if (outcome !== 'ready') {
      await kill();
      if (attempt < 3 && env['PORT'] === undefined) continue;
      if (options.schema === undefined) await sql(database, `DROP SCHEMA "${schema}" CASCADE`);
      throw new Error(`the registry did not start: ${outcome}`);
    }
    const stop = async () => {
      await kill();
      if (options.schema === undefined) await sql(database, `DROP SCHEMA "${schema}" CASCADE`);
    };
    return running(child, url, stop);
  }
}

/** Waits for the child to answer /readyz 200 as itself (its vkey), to exit, or to time out. */
async function untilReady(child: ChildProcess, url: string, vkey: string | null): Promise<'ready' | string> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) return `it exited with ${child.exitCode}`;
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) {
        if (vkey === null) return 'ready';
        const announced = ((await (await fetch(`${url}/v1/registry`)).json()) as { vkey?: unknown }).vkey;
        return announced === vkey ? 'ready' : `another server answers on ${url}`;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) return 'no 200 from /readyz within 120 s';
    await sleep(200);
  }
}

function running(child: ChildProcess, url: string, stop: () => Promise<void>): ChildRegistry {
  return {
    url,
    pid: child.pid!,
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      if (kb === null) throw new Error('no VmRSS in /proc/<pid>/status');
      return Number(kb[1]) * 1024;
    },
    cpuMs() {
      // Fields 14 and 15 (utime, stime) after the command name, which is in parentheses.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    stop,
  };
}
