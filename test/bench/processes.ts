/**
 * The processes a benchmark runs: registry servers of a build (dist/main.js with the options and
 * environment `npm start` gives node; started directly, without its launcher, whose memory and CPU
 * are not the server's) and the Express hello-worlds that give the ceilings, each on a free
 * port, with their memory read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = new URL('../..', import.meta.url).pathname;
/** A folder for `node --cpu-prof` profiles of every server, or none. */
const PROFILE_DIR = process.env['BENCH_PROFILE'];

/**
 * What `npm start` gives the server of the build in `dir`: the environment variables (glibc's
 * malloc tunables) and Node's options of its dist/server-process.js. Each build is started with
 * its own, so that BENCH_BASE compares them too. A build from before that file had them in its
 * package.json's start script, "[NAME=value …] node [options] dist/main.js".
 */
export async function startOptions(dir: string): Promise<{ env: Record<string, string>; options: string[] }> {
  const defined = join(dir, 'dist/server-process.js');
  if (existsSync(defined)) {
    const { SERVER_ENV, SERVER_NODE_OPTIONS } = (await import(pathToFileURL(defined).href)) as typeof import('../../src/server-process.js');
    return { env: { ...SERVER_ENV }, options: [...SERVER_NODE_OPTIONS] };
  }
  const start = (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts['start']!.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(start[0] ?? '')) {
    const [name, ...value] = start.shift()!.split('=');
    env[name!] = value.join('=');
  }
  if (start[0] !== 'node' || start.at(-1) !== 'dist/main.js') throw new Error(`${dir} has no dist/server-process.js, and its package.json's start script is not "[NAME=value …] node [options] dist/main.js": ${start.join(' ')}`);
  return { env, options: start.slice(1, -1) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A /proc stat line's CPU time in ms: utime + stime in clock ticks of 10 ms (USER_HZ 100 on Linux). */
function statCpuMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The CPU time of each thread of `pid` in ms, by thread id, with its name: `main` for the process's
 * own thread, others by their comm without a trailing number (libuv's pool, V8's threads).
 */
export function threadCpuMs(pid: number): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(tid, { name: tid === String(pid) ? 'main' : name.replace(/[0-9]+$/, '').trim(), ms: statCpuMs(stat) });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** The CPU time of process `pid` (all its threads) in ms; 0 once it has ended. */
export function processCpuMs(pid: number): number {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

/** A process's resident memory now and at its peak, in MB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

export interface Server {
  base: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A registry server of the build in `dir`, ready, with `env` on top of a clean environment: the
 * bench's own DATABASE_URL (its admin connection) is never passed on, so a server with no
 * DATABASE_URL in `env` runs on its embedded database, as `npm start` does.
 */
export async function startServer(dir: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const { DATABASE_URL: _admin, ...inherited } = process.env;
  const start = await startOptions(dir);
  const child = spawn(process.execPath, [...start.options, ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]), 'dist/main.js'], {
    cwd: dir,
    env: { ...inherited, ...start.env, PORT: String(port), HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
  };
  try {
    await waitFor(`${base}/readyz`, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, child, stop };
}

/** The Express hello-world of hello-world.ts in its own process, `plain` or `tuned`, measured by `measure`. */
export async function withHelloWorld<T>(kind: 'plain' | 'tuned', measure: (url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/hello-world.ts', String(port), kind], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitFor(`http://127.0.0.1:${port}/hello`, child);
    return await measure(`http://127.0.0.1:${port}/hello`);
  } finally {
    child.kill();
  }
}
