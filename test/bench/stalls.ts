/**
 * What stops a registry's event loop under lookup load, counted inside the server
 * (stall-probe.mjs), for builds and node options side by side on one seeded embedded store:
 * loop stalls of 3, 5, 10 and 20 ms or more, how much of each stall of 10 ms or more was GC or a
 * timer callback, GC pauses by kind, CPU time and time spent waiting for a core, all per 10,000
 * lookups; and the server's RSS. Counts and lengths of stalls move far less with the load of a
 * shared machine than requests per second or p99 do (the time waited for a core shows how loaded
 * it was); compare builds only within one run. Each server is started as `npm start` starts it
 * (processes.ts, startOptions), warmed up with STALL_WARM_UP_SECONDS (default 2, as `npm run
 * bench`) of lookups, then measured over
 * STALL_LOOKUPS (default 30,000) random lookups at 32 connections, as `npm run bench` sends them.
 * Builds take turns for STALL_ROUNDS rounds (default 2; order reversed every other round).
 *
 *   tsx test/bench/stalls.ts 'base=../base' 'this=.' 'semi32=.|--max-semi-space-size=32' 'x=.|ENV:NAME=value' 'warm=.|WARM:20'
 *
 * Each argument is label=dir, a built checkout, then `|`-separated node options added after the
 * ones `npm start` gives the server (processes.ts, startOptions), ENV:NAME=value for the server's
 * environment, or WARM:<seconds> for its warm-up. The store (STALL_SIZE identities, default
 * 10,000, seeded through a LogWriter) is kept in STALL_STORE for the next run when that is set,
 * else made under BENCH_TMP and removed. One JSON line per server to stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { CONNECTIONS, lookups } from './load.js';
import { freePort, memoryOf, startOptions, waitFor } from './processes.js';
import { emptyStore, seedThroughWriter, TEMP_ROOT } from './stores.js';

const LOOKUPS = Number(process.env['STALL_LOOKUPS'] ?? 30_000);
const ROUNDS = Number(process.env['STALL_ROUNDS'] ?? 2);
const SIZE = Number(process.env['STALL_SIZE'] ?? 10_000);
const WARM_UP_SECONDS = Number(process.env['STALL_WARM_UP_SECONDS'] ?? 2);
const PROBE = new URL('./stall-probe.mjs', import.meta.url).pathname;

interface Figures {
  ms: number;
  cpuMs: number;
  waitMs: number;
  stalls: Array<{ ms: number; gcMs: number; timerMs: number }>;
  gc: Array<{ kind: string; ms: number }>;
  timers: Record<string, Array<{ ms: number; gcMs: number }>>;
  memoryMb: Record<string, number>;
}

interface Build {
  label: string;
  dir: string;
  options: string[];
  env: Record<string, string>;
  warmUpSeconds: number;
}

function parseBuild(arg: string): Build {
  const at = arg.indexOf('=');
  if (at <= 0) throw new Error(`"${arg}" is not label=dir[|option…]`);
  const [dir, ...rest] = arg.slice(at + 1).split('|');
  const env = Object.fromEntries(rest.filter((o) => o.startsWith('ENV:')).map((o) => [o.slice(4, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));
  const warmUp = rest.find((o) => o.startsWith('WARM:'));
  return { label: arg.slice(0, at), dir: dir!, options: rest.filter((o) => !o.startsWith('ENV:') && !o.startsWith('WARM:')), env, warmUpSeconds: warmUp === undefined ? WARM_UP_SECONDS : Number(warmUp.slice(5)) };
}

/** The seeded store: its server environment and ids, kept in STALL_STORE between runs when set. */
async function store(): Promise<{ env: Record<string, string>; ids: string[]; remove: () => Promise<void> }> {
  const kept = process.env['STALL_STORE'];
  const meta = kept === undefined ? undefined : join(kept, 'stalls-store.json');
  if (meta !== undefined && existsSync(meta)) return { ...(JSON.parse(readFileSync(meta, 'utf8')) as { env: Record<string, string>; ids: string[] }), remove: async () => {} };
  const made = await emptyStore('embedded');
  const seeded = await seedThroughWriter(made, SIZE);
  const saved = { env: made.env, ids: seeded.identities.map((i) => i.head.userId) };
  if (meta !== undefined) writeFileSync(meta, JSON.stringify(saved));
  return { ...saved, remove: meta === undefined ? made.remove : async () => {} };
}

const per10k = (count: number, lookupsDone: number) => Math.round((count * 10_000 * 10) / lookupsDone) / 10;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function measure(build: Build, env: Record<string, string>, ids: string[], scratch: string): Promise<Record<string, unknown>> {
  const port = await freePort();
  const out = join(scratch, `${build.label}.json`);
  const start = await startOptions(build.dir);
  const { DATABASE_URL: _admin, ...inherited } = process.env;
  const child = spawn(process.execPath, [...start.options, ...build.options, '--import', PROBE, 'dist/main.js'], {
    cwd: build.dir,
    env: { ...inherited, ...start.env, PORT: String(port), HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'warn', STALL_OUT: out, ...env, ...build.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const signal = async () => {
    child.kill('SIGUSR2');
    await new Promise((r) => setTimeout(r, 300));
  };
  try {
    await waitFor(`${url}/readyz`, child);
    await autocannon({ ...lookups([url], ids), connections: CONNECTIONS, duration: build.warmUpSeconds });
    await signal();
    const result = await autocannon({ ...lookups([url], ids), connections: CONNECTIONS, amount: LOOKUPS });
    await signal();
    const f = JSON.parse(readFileSync(out, 'utf8')) as Figures;
    const done = result.requests.total;
    const at = (ms: number) => per10k(f.stalls.filter((s) => s.ms >= ms).length, done);
    const long = f.stalls.filter((s) => s.ms >= 10);
    const gcKinds = [...new Set(f.gc.map((g) => g.kind))].sort();
    return {
      label: build.label,
      requestsPerSecond: Math.round(done / Math.max(result.duration, 0.001)),
      p50: result.latency.p50,
      p99: result.latency.p99,
      notOk: result.non2xx + result.errors + result.timeouts,
      cpuMs: Math.round((f.cpuMs * 10_000) / done),
      waitForCoreMs: Math.round((f.waitMs * 10_000) / done),
      stalls: { '3ms': at(3), '5ms': at(5), '10ms': at(10), '20ms': at(20), longestMs: Math.max(0, ...f.stalls.map((s) => s.ms)), totalMs: Math.round((sum(f.stalls.map((s) => s.ms)) * 10_000) / done) },
      // Stalls of 10 ms or more, by what filled at least half of each.
      stalls10ms: {
        gc: per10k(long.filter((s) => s.gcMs >= s.ms / 2).length, done),
        timer: per10k(long.filter((s) => s.timerMs >= s.ms / 2).length, done),
        other: per10k(long.filter((s) => s.gcMs < s.ms / 2 && s.timerMs < s.ms / 2).length, done),
      },
      gcMs: Math.round((sum(f.gc.map((g) => g.ms)) * 10_000) / done),
      gc: Object.fromEntries(
        gcKinds.map((kind) => {
          const pauses = f.gc.filter((g) => g.kind === kind).map((g) => g.ms);
          return [kind, { count: per10k(pauses.length, done), ms: Math.round((sum(pauses) * 10_000) / done), longestMs: Math.max(...pauses) }];
        }),
      ),
      slowTimers: f.timers,
      rssMb: memoryOf(child.pid!).rssMb,
      memoryMb: f.memoryMb,
    };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
    }
  }
}

const builds = process.argv.slice(2).map(parseBuild);
if (builds.length === 0) throw new Error('usage: tsx test/bench/stalls.ts label=dir[|option…] …');
const { env, ids, remove } = await store();
const scratch = mkdtempSync(join(TEMP_ROOT, 'peerkeys-stalls-'));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) console.log(JSON.stringify(await measure(build, env, ids, scratch)));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await remove();
}
