/**
 * The built registry (`peerkeys serve`, npm test builds dist/ first) in a child process of its
 * own, on a fresh schema of the test's Postgres (DATABASE_URL, or the Jest worker's embedded one,
 * which runs in yet another process): for tests that measure the server itself — its resident
 * memory is its own, not the test runner's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { cleanEnv, PEERKEYS, ROOT } from './cli.js';
import { postgresUrl, sql } from './database.js';
import { freePort } from './private-postgres.js';
import { waitFor } from './wait.js';

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
 * 200. `schema`: a schema of the test's Postgres that the caller made and drops (several
 * registry processes on one database); by default a fresh one of the child's own.
 */
export async function startChildRegistry(env: Record<string, string> = {}, options: { schema?: string } = {}): Promise<ChildRegistry> {
  const database = postgresUrl();
  if (database === null) throw new Error('no Postgres for the child registry: run under Jest (npm test)');
  const schema = options.schema ?? `child_${randomBytes(6).toString('hex')}`;
  if (options.schema === undefined) await sql(database, `CREATE SCHEMA "${schema}"`);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [PEERKEYS, 'serve'], {
    cwd: ROOT,
    env: cleanEnv({
      DATABASE_URL: database,
      DATABASE_SCHEMA: schema,
      LOG_SIGNING_KEY: toBase64Url(new Uint8Array(randomBytes(32))),
      LOG_ORIGIN: 'child.test/peerkeys',
      HOST: '127.0.0.1',
      PORT: String(port),
      RATE_LIMITS: 'off',
      LOG_LEVEL: 'warn',
      ...env,
    }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    if (options.schema === undefined) await sql(database, `DROP SCHEMA "${schema}" CASCADE`);
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the registry exited with ${child.exitCode} before it was ready`);
        const reply = await fetch(`${url}/readyz`);
        if (reply.status !== 200) throw new Error(`/readyz answered ${reply.status}`);
      },
      { timeout: 120_000, interval: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
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
