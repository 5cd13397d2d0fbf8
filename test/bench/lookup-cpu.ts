/**
 * CPU per cold lookup, for A/B of builds on a busy machine where req/s is noise:
 *
 *   tsx test/bench/lookup-cpu.ts seed <N> <state.json>         seeds BENCH_DATABASE with N identities (through a LogWriter)
 *   tsx test/bench/lookup-cpu.ts run <state.json> <dir>[,<dir>…] starts each build on that store in turn (LOOKUP_CACHE_BYTES,
 *       LOOKUP_CPU_REPEATS, LOOKUP_CPU_COUNT from the environment; defaults: 2 repeats, 20,000 lookups, after 3,000
 *       other ids as warm-up, so seed at least 23,000), sends LOOKUP_CPU_COUNT lookups of distinct ids in random
 *       order at 32 in flight, and prints the server's CPU per lookup: its main thread (the event loop) and the whole process,
 *       from /proc/<pid>/task/<tid>/stat (utime + stime), and the lookups a round carried (peerkeys_lookup_rounds_total).
 *       LOOKUP_CPU_HITS=1 looks the measured ids up once before (with a LOOKUP_CACHE_BYTES that holds them all: hits);
 *       LOOKUP_CPU_UNIFORM=1 draws the measured ids uniformly from all of them, with repeats, as registry-bench.ts
 *       does (then a count of about 10 s of the bench's lookups gives its mix of cold lookups and hits);
 *       LOOKUP_CPU_DATABASE_URL replaces the store's DATABASE_URL (e.g. a Unix socket: ?host=/var/run/postgresql);
 *       LOG_LEVEL=info shows each server's start-up log, e.g. its 'lookup cache preloaded' count, bytes and ms.
 *       It prints the CPU of the server's Postgres backends per lookup too: each server connects with an
 *       application_name of its own, so that servers of other runs on the same database are not counted.
 *       It reads that CPU from this machine's /proc, at the pids pg_stat_activity gives: only a Postgres
 *       running here, in this pid namespace, is counted (not one in a container, as docker-compose.yml's,
 *       or on another host); a pid that is not a Postgres process here is skipped, and with none found
 *       it prints "postgres n/a".
 *   Profiles: BENCH_PROFILE=<folder> as for registry-bench.ts (processes.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { toBase64Url } from '../../src/protocol/encoding.js';
import pg from 'pg';
import { processCpuMs, startServer, threadCpuMs } from './processes.js';
import { emptyStore, seedThroughWriter } from './stores.js';

const [command, ...args] = process.argv.slice(2);

/**
 * The CPU time in ms of each Postgres backend whose connection names itself `application`, read
 * from this machine's /proc: a pid that is not a Postgres process here (a Postgres in a container
 * or on another host reports pids of its own) is left out rather than read as some other process.
 */
async function backendCpuMs(admin: pg.Client, application: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [application]);
  return new Map(rows.filter(({ pid }) => isLocalPostgres(pid)).map(({ pid }) => [pid, processCpuMs(pid)]));
}

/** Whether `pid` is a Postgres process in this pid namespace (a backend's command line begins "postgres"). */
function isLocalPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres');
  } catch {
    return false;
  }
}

/** µs a lookup, or n/a (NaN) when none was measured. */
const perLookup = (us: number) => (Number.isNaN(us) ? 'n/a' : `${us.toFixed(0)} µs/lookup`);

/** The CPU the backends spent between two readings, in ms: a backend that connected meanwhile counts from its start. */
function backendsSpent(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

/** The server's CPU time in ms: its main thread (the event loop) and all its threads. */
function cpuMs(pid: number): { main: number; total: number } {
  let total = 0;
  let main = 0;
  for (const [tid, { ms }] of threadCpuMs(pid)) {
    total += ms;
    if (tid === String(pid)) main = ms;
  }
  return { main, total };
}

if (command === 'seed') {
  const [n, file] = args as [string, string];
  const store = await emptyStore('postgres');
  const { identities, seconds } = await seedThroughWriter(store, Number(n));
  writeFileSync(file, JSON.stringify({ env: store.env, seed: toBase64Url(store.seed), ids: identities.map((i) => i.head.userId) }));
  process.stderr.write(`seeded ${n} in ${seconds.toFixed(0)} s\n`);
} else if (command === 'run') {
  const [file, dirs] = args as [string, string];
  const state = JSON.parse(readFileSync(file, 'utf8')) as { env: Record<string, string>; ids: string[] };
  const count = Number(process.env['LOOKUP_CPU_COUNT'] ?? 20000);
  const repeats = Number(process.env['LOOKUP_CPU_REPEATS'] ?? 2);
  const env = { ...state.env, ...(process.env['LOOKUP_CACHE_BYTES'] ? { LOOKUP_CACHE_BYTES: process.env['LOOKUP_CACHE_BYTES'] } : {}), ...(process.env['LOOKUP_CPU_DATABASE_URL'] ? { DATABASE_URL: process.env['LOOKUP_CPU_DATABASE_URL'] } : {}), ...(process.env['LOG_LEVEL'] ? { LOG_LEVEL: process.env['LOG_LEVEL'] } : {}) };
  const admin = new pg.Client({ connectionString: env['DATABASE_URL'] });
  await admin.connect();
  const application = `lookup-cpu-${process.pid}`;
  const url = new URL(env['DATABASE_URL']!);
  url.searchParams.set('application_name', application);
  env['DATABASE_URL'] = url.toString();
  const results: Record<string, number[][]> = {};
  for (let r = 0; r < repeats; r++) {
    for (const dir of dirs.split(',')) {
      const server = await startServer(dir, env);
      try {
        const pid = server.child.pid!;
        // Warm up: JIT and the first rounds, on ids not measured.
        const shuffled = [...state.ids];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        await fire(server.base, shuffled.slice(0, 3000));
        // LOOKUP_CPU_UNIFORM=1: ids drawn uniformly from all, with repeats, as `npm run bench` draws them (its mix of cold lookups and hits).
        const ids = process.env['LOOKUP_CPU_UNIFORM'] === '1' ? Array.from({ length: count }, () => state.ids[Math.floor(Math.random() * state.ids.length)]!) : shuffled.slice(3000, 3000 + count);
        // LOOKUP_CPU_HITS=1: the measured ids are looked up once before, so that (with a cache that holds them) each is a hit.
        if (process.env['LOOKUP_CPU_HITS'] === '1') await fire(server.base, ids);
        const roundsBefore = await rounds(server.base);
        const pgBefore = await backendCpuMs(admin, application);
        const before = cpuMs(pid);
        const started = performance.now();
        await fire(server.base, ids);
        const seconds = (performance.now() - started) / 1000;
        const after = cpuMs(pid);
        const pgAfter = await backendCpuMs(admin, application);
        // No backend of the server found in this machine's /proc: its Postgres runs elsewhere, unmeasured.
        const postgres = pgAfter.size === 0 ? Number.NaN : (backendsSpent(pgBefore, pgAfter) * 1000) / ids.length;
        const perRound = ids.length / ((await rounds(server.base)) - roundsBefore);
        const main = ((after.main - before.main) * 1000) / ids.length;
        const total = ((after.total - before.total) * 1000) / ids.length;
        const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
        (results[dir] ??= []).push([main, total, postgres]);
        process.stdout.write(`${dir}: main ${main.toFixed(0)} µs/lookup, process ${total.toFixed(0)} µs/lookup, postgres ${perLookup(postgres)}, ${(ids.length / seconds).toFixed(0)}/s wall, rss ${Math.round(Number(rss) / 1024)} MB, ${perRound.toFixed(1)} lookups a round\n`);
      } finally {
        await server.stop();
      }
    }
  }
  for (const [dir, runs] of Object.entries(results)) {
    const mean = (i: number) => runs.reduce((s, r) => s + r[i]!, 0) / runs.length;
    process.stdout.write(`MEAN ${dir}: main ${mean(0).toFixed(0)} µs, process ${mean(1).toFixed(0)} µs, postgres ${Number.isNaN(mean(2)) ? 'n/a' : `${mean(2).toFixed(0)} µs`} (main ${runs.map((r) => r[0]!.toFixed(0)).join(', ')})\n`);
  }
  await admin.end();
} else {
  throw new Error('usage: lookup-cpu.ts seed <N> <state.json> | run <state.json> <dir>[,<dir>…]');
}

/** The lookup rounds the server has run (peerkeys_lookup_rounds_total, all labels). */
async function rounds(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(/^peerkeys_lookup_rounds_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function fire(base: string, ids: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const res = await fetch(`${base}/v1/users/${id}`);
      if (res.status !== 200) throw new Error(`lookup ${id}: ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}
