/**
 * CPU per write on Postgres, from /proc: on a machine shared with other work, writes/s is noise,
 * but the CPU time a registry and its Postgres backends spend on a fixed number of writes is not.
 * Seeds identities through a LogWriter, then starts each build in turn (this checkout and, with
 * BENCH_BASE, another built checkout: base, this, this, base, … for BENCH_ROUNDS rounds), and per
 * start sends WRITE_CPU_WARMUP creates and rotations to warm it up, then WRITE_CPU_WRITES creates and as many
 * rotations at 32 connections, and prints the CPU each took per write: the server's main thread
 * (the event loop), its other threads by name (libuv's pool, V8's GC and compiler threads), and
 * the database's backends.
 *
 * Defaults: WRITE_CPU_WRITES 3,000, WRITE_CPU_WARMUP 1,500, BENCH_ROUNDS 2, WRITE_CPU_SEEDED 5,000
 * identities (at least WRITES + WARMUP); WRITE_CPU_PERF=<folder> records `perf record` of the
 * server over the measured writes (run with NODE_OPTIONS=--perf-basic-prof).
 *
 *   BENCH_BASE=../base BENCH_DATABASE=bench_me tsx test/bench/write-cpu.ts
 *   WRITE_CPU_BUILDS=base=../base,this=. BENCH_ROUNDS=3 tsx test/bench/write-cpu.ts
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { fastGenesis, fastRotation, type FastIdentity } from './fast-records.js';
import { processCpuMs, ROOT, startServer, threadCpuMs } from './processes.js';
import { emptyStore, seedThroughWriter } from './stores.js';

const WRITES = Number(process.env['WRITE_CPU_WRITES'] ?? 3000);
const WARMUP = Number(process.env['WRITE_CPU_WARMUP'] ?? 1500);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
const SEEDED = Number(process.env['WRITE_CPU_SEEDED'] ?? 5000);
const PERF_DIR = process.env['WRITE_CPU_PERF'];
const BASE_DIR = process.env['BENCH_BASE'] === undefined ? undefined : resolve(process.env['BENCH_BASE']);

async function backends(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.map((r) => r.pid);
}

interface Snapshot {
  server: Map<string, { name: string; ms: number }>;
  pg: Map<number, number>;
  self: number;
}

async function snapshot(pid: number, admin: pg.Client, database: string): Promise<Snapshot> {
  const pids = await backends(admin, database);
  return { server: threadCpuMs(pid), pg: new Map(pids.map((p) => [p, processCpuMs(p)])), self: process.cpuUsage().user + process.cpuUsage().system };
}

/** The server's CPU of a perWrite result: every group but the database's and the load generator's. */
const serverMs = (cpu: Record<string, number>) => Object.entries(cpu).filter(([k]) => k !== 'postgres' && k !== 'loadgen').reduce((s, [, v]) => s + v, 0);

/** CPU ms per write between two snapshots, by group. */
function perWrite(a: Snapshot, b: Snapshot, writes: number): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const [tid, { name, ms }] of b.server) groups[name] = (groups[name] ?? 0) + ms - (a.server.get(tid)?.ms ?? 0);
  let pgMs = 0;
  for (const [pid, ms] of b.pg) pgMs += ms - (a.pg.get(pid) ?? ms);
  groups['postgres'] = pgMs;
  groups['loadgen'] = (b.self - a.self) / 1000;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(groups)) out[k] = v / writes;
  return out;
}

function post(base: string, bodies: Array<{ path: string; body: string }>): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url: base,
    connections: 32,
    duration: 600,
    maxOverallRequests: bodies.length,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const b = bodies[next++ % bodies.length]!;
          return { ...req, path: b.path, body: b.body };
        },
      },
    ],
  });
}

function createBodies(n: number): Array<{ path: string; body: string }> {
  return Array.from({ length: n }, () => ({ path: '/v1/users', body: JSON.stringify(fastGenesis().head) }));
}

/** `n` rotations, each identity once, chained on its head (which moves on: these are acknowledged). */
function rotationBodies(identities: FastIdentity[], cursor: { at: number }, n: number): Array<{ path: string; body: string }> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const identity = identities[cursor.at++ % identities.length]!;
    const record = fastRotation(identity);
    identity.head = record;
    out.push({ path: `/v1/users/${record.userId}`, body: JSON.stringify(record) });
  }
  return out;
}

const store = await emptyStore('postgres');
const database = new URL(store.env['DATABASE_URL']!).pathname.slice(1);
process.stderr.write(`seeding ${SEEDED} identities\n`);
const { identities } = await seedThroughWriter(store, SEEDED);
if (WRITES + WARMUP > identities.length) throw new Error('WRITE_CPU_WRITES + WRITE_CPU_WARMUP must not exceed WRITE_CPU_SEEDED');
const admin = new pg.Client({ connectionString: store.env['DATABASE_URL'] });
await admin.connect();
const cursor = { at: 0 };
/** WRITE_CPU_BUILDS=name=dir,name=dir… compares more builds (each server started as `npm start` of that build starts it), in that order and back. */
const named = process.env['WRITE_CPU_BUILDS']?.split(',').map((b) => b.split('=') as [string, string]).map(([name, dir]): [string, string] => [name, resolve(dir)]);
const builds: Array<[string, string]> =
  named !== undefined ? [...named, ...[...named].reverse()] : BASE_DIR === undefined ? [['this', ROOT]] : [['base', BASE_DIR], ['this', ROOT], ['this', ROOT], ['base', BASE_DIR]];
const results: Array<{ build: string; phase: string; cpu: Record<string, number>; notOk: number }> = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const [build, dir] of builds) {
    // Both kinds warm up: a rotation runs code a create does not (the successor rules, chain reads),
    // which V8 would otherwise still be compiling in the measured rotations.
    const warm = [...createBodies(WARMUP), ...rotationBodies(identities, cursor, WARMUP)];
    const creates = createBodies(WRITES);
    const rotations = rotationBodies(identities, cursor, WRITES);
    const server = await startServer(dir, store.env);
    try {
      await post(server.base, warm);
      const pid = server.child.pid!;
      // WRITE_CPU_PERF=<folder>: `perf record` of the server over the measured writes (run the bench
      // with NODE_OPTIONS=--perf-basic-prof so that perf can name JavaScript functions).
      const perf = PERF_DIR === undefined ? null : spawn('perf', ['record', '-F', '2999', '-g', '-o', `${PERF_DIR}/${build}-${round}-${pid}.data`, '-p', String(pid)], { stdio: 'ignore' });
      if (perf !== null) await new Promise((r) => setTimeout(r, 500));
      for (const [phase, bodies] of [['create', creates], ['rotation', rotations]] as const) {
        const a = await snapshot(pid, admin, database);
        const result = await post(server.base, bodies);
        const b = await snapshot(pid, admin, database);
        const cpu = perWrite(a, b, bodies.length);
        const notOk = result.non2xx + result.errors + result.timeouts;
        results.push({ build, phase, cpu, notOk });
        const parts = Object.entries(cpu).filter(([, v]) => v >= 0.005).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v.toFixed(3)}`);
        console.log(`${build.padEnd(5)} ${phase.padEnd(8)} server ${serverMs(cpu).toFixed(3)} ms/write (${parts.join(', ')})${notOk > 0 ? `  NOT OK ${notOk}` : ''}  ${Math.round(result.requests.average)} req/s`);
      }
      if (perf !== null) {
        perf.kill('SIGINT');
        await new Promise((r) => perf.once('exit', r));
      }
    } finally {
      await server.stop();
    }
  }
}
await admin.end();

// Means per build and phase.
for (const phase of ['create', 'rotation']) {
  for (const build of new Set(builds.map(([b]) => b))) {
    const rows = results.filter((r) => r.build === build && r.phase === phase);
    const keys = new Set(rows.flatMap((r) => Object.keys(r.cpu)));
    const mean: Record<string, number> = {};
    for (const k of keys) mean[k] = rows.reduce((s, r) => s + (r.cpu[k] ?? 0), 0) / rows.length;
    const server = serverMs(mean);
    console.log(`mean ${build.padEnd(5)} ${phase.padEnd(8)} server ${server.toFixed(3)} main ${(mean['main'] ?? 0).toFixed(3)} other ${(server - (mean['main'] ?? 0)).toFixed(3)} postgres ${(mean['postgres'] ?? 0).toFixed(3)} (n=${rows.length})`);
  }
}
