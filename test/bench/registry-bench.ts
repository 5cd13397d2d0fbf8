/**
 * `npm run bench`: the registry under load, against a real Postgres, next to the ceiling a plain
 * Express hello-world reaches on the same machine in the same run. For each N (default 10,000
 * and 100,000 identities) it seeds N identities over HTTP, then measures with autocannon at 32
 * connections: lookups (full verifiable bundles: live chain, inclusion proof, signed checkpoint),
 * rotations, creates (genesis records of fresh identities), and the log endpoints; and the server's memory. Prints a table and writes JSON to
 * test/bench/results/. A benchmark, not a test: it reports, it does not pass or fail.
 *
 *   BENCH_SIZES=10000,100000 BENCH_SECONDS=15 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *
 * BENCH_PHASES=lookup,checkpoint runs only the phases whose names contain one of those words.
 * Then (unless BENCH_WITNESS_WRITES=0) writes/s with two local witnesses (`peerkeys witness`
 * processes) configured against without, in the same run: BENCH_WITNESS_WRITES genesis writes
 * (default 5000) each way, alternated twice; BENCH_SIZES= (empty) runs only that.
 * BENCH_PROFILE=<folder> runs the server under `node --cpu-prof` and leaves its profile there
 * (open it in Chrome DevTools, or summarise it with `tsx test/bench/profile-summary.ts <file>`).
 *
 * The key map (DESIGN.md §5.2): for each N it prints the map proof sizes of real answers, the time
 * a registry takes to load the map at start (from the chains' tables) and to rebuild it from
 * scratch out of the log's entries. BENCH_BASE=<a built checkout of another commit> compares
 * lookups and rotations with that build in the same run, on the same database: the two servers
 * take turns (base, this, this, base), each measured with its own share of the rotations, e.g.
 *
 *   git worktree add --detach ../base d51f594 && (cd ../base && ln -s $PWD/node_modules && npm run build)
 *   BENCH_BASE=../base npm run bench
 *
 * BENCH_DATABASE names the database the bench drops and creates (default peerkeys_bench).
 * BENCH_SEED=writer seeds through the registry's LogWriter in this process instead of over HTTP
 * (the same transactions, without HTTP and signature checks): for a busy machine, where seeding
 * 100,000 identities over HTTP takes too long. The seeding rate printed is then that path's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { readEntries } from '../../src/db/log-repository.js';
import { fromBase64Url, toBase64Url } from '../../src/protocol/encoding.js';
import { mapUpdatesOf, type MapRecord } from '../../src/protocol/key-map-fold.js';
import { KeyMap } from '../../src/protocol/key-map-tree.js';
import { MapState } from '../../src/server/log/map-state.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { systemClock } from '../../src/server/clock.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { checkWitnessPolicy, cosignerKey, formatCosignerKey, witnessPolicy } from '../../src/protocol/cosignature.js';
import { nodeSigner, nodeVerify } from '../../src/node/node-ed25519.js';
import { RegistryClient } from '../../src/sdk/index.js';
import { fastGenesis, fastRotation, type FastIdentity } from './fast-records.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (process.env['BENCH_SIZES'] ?? '10000,100000').split(',').filter((n) => n.trim() !== '').map(Number);
const WITNESS_WRITES = Number(process.env['BENCH_WITNESS_WRITES'] ?? 5000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const CONNECTIONS = 32;
const PROFILE_DIR = process.env['BENCH_PROFILE'];
const PHASES = process.env['BENCH_PHASES']?.split(',');
/** A built checkout to compare with (its dist/ is started the same way), or none. */
const BASE_DIR = process.env['BENCH_BASE'] === undefined ? undefined : resolve(process.env['BENCH_BASE']);
const SEED_THROUGH_WRITER = process.env['BENCH_SEED'] === 'writer';
const ORIGIN = 'bench.local/peerkeys';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
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

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

interface Phase {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  notOk: number;
}

async function load(name: string, options: autocannon.Options): Promise<Phase> {
  const result = await autocannon({ connections: CONNECTIONS, ...(options.amount === undefined ? { duration: SECONDS } : {}), ...options });
  const ok = result['2xx'];
  return {
    name,
    requestsPerSecond: Math.round(result.requests.total / Math.max(result.duration, 0.001)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    notOk: result.non2xx + result.errors + result.timeouts,
  };
}

async function recreateDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function seed(base: string, count: number): Promise<{ identities: FastIdentity[]; seconds: number }> {
  const identities: FastIdentity[] = [];
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const identity = fastGenesis();
      const res = await fetch(`${base}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(identity.head) });
      if (res.status !== 201) throw new Error(`seeding: ${res.status} ${await res.text()}`);
      await res.arrayBuffer().catch(() => {});
      identities.push(identity);
      if (identities.length % 10_000 === 0) process.stderr.write(`  seeded ${identities.length}/${count}\n`);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return { identities, seconds: (performance.now() - started) / 1000 };
}

/** A registry server of the build in `dir` on `databaseUrl`, ready. */
async function startServer(dir: string, databaseUrl: string, logSeed: string, env: Record<string, string> = {}): Promise<{ base: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]), 'dist/cli/peerkeys.js', 'serve'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_SIGNING_KEY: logSeed, PORT: String(port), HOST: '127.0.0.1', RATE_LIMITS: 'off', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '20', LOG_ORIGIN: ORIGIN, ...env },
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

/** Seeds through a LogWriter of this process on the registry's database: 256 in flight, so batches of up to 256. */
async function seedThroughWriter(databaseUrl: string, logSeed: string, count: number): Promise<{ identities: FastIdentity[]; seconds: number }> {
  const db = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 4 });
  try {
    const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), logKeyFromSeed(ORIGIN, fromBase64Url(logSeed)!), systemClock);
    const identities: FastIdentity[] = [];
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const identity = fastGenesis();
        await writer.append(new Write(identityKind, identity.head, 'genesis'));
        identities.push(identity);
        if (identities.length % 10_000 === 0) process.stderr.write(`  seeded ${identities.length}/${count}\n`);
      }
    };
    await Promise.all(Array.from({ length: 256 }, worker));
    await writer.stop();
    return { identities, seconds: (performance.now() - started) / 1000 };
  } finally {
    await db.close();
  }
}

/** What the key map costs at this size, measured in this process on the bench's database. */
async function mapFigures(databaseUrl: string, server: string, ids: string[]) {
  const db = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 4 });
  try {
    let started = performance.now();
    const loaded = await MapState.load(db);
    const loadSeconds = (performance.now() - started) / 1000;
    // From scratch, as an auditor does: every entry read from the log and folded, then the root.
    started = performance.now();
    const map = new KeyMap();
    for (let start = 0; start < loaded.size; start += 1000) {
      const rows = await readEntries(db, start, Math.min(1000, loaded.size - start));
      map.apply(mapUpdatesOf(rows.map((r) => ({ index: r.index, acceptedAt: '', record: JSON.parse(r.record) as MapRecord })), start));
    }
    const rebuildSeconds = (performance.now() - started) / 1000;
    const same = Buffer.from(map.root()).equals(Buffer.from((await loaded.at(loaded.size))!.root()));
    // Proof sizes of real answers: lookups of random identities, and 404s of unknown ids.
    const present: number[] = [];
    const absent: number[] = [];
    for (let i = 0; i < 200; i++) {
      const found = (await (await fetch(`${server}/v1/users/${ids[Math.floor(Math.random() * ids.length)]!}`)).json()) as { mapProof?: string };
      present.push(fromBase64Url(found.mapProof ?? '')?.length ?? 0);
      const missing = (await (await fetch(`${server}/v1/users/${newPeersId()}`)).json()) as { mapProof?: string };
      absent.push(fromBase64Url(missing.mapProof ?? '')?.length ?? 0);
    }
    const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      keys: map.size,
      logSize: loaded.size,
      loadFromTablesSeconds: loadSeconds,
      rebuildFromLogSeconds: rebuildSeconds,
      rebuildMatchesTables: same,
      proofBytes: { present: { avg: avg(present), max: Math.max(...present) }, absent: { avg: avg(absent), max: Math.max(...absent) } },
    };
  } finally {
    await db.close();
  }
}

/** The same load, on two builds in turn: base, this, this, base. */
interface Comparison {
  name: string;
  /** req/s of each turn, in order, per build */
  base: number[];
  current: number[];
}

async function benchSize(size: number, helloRps: number) {
  process.stderr.write(`\n== N = ${size.toLocaleString('en')} identities\n`);
  const databaseUrl = await recreateDatabase(process.env['BENCH_DATABASE'] ?? 'peerkeys_bench');
  const logSeed = toBase64Url(randomBytes(32));
  let server = await startServer(ROOT, databaseUrl, logSeed);
  try {
    const seeded = SEED_THROUGH_WRITER ? await seedThroughWriter(databaseUrl, logSeed, size) : await seed(server.base, size);
    const genesisRate = Math.round(size / seeded.seconds);
    process.stderr.write(`  seeded in ${seeded.seconds.toFixed(1)} s (${genesisRate} genesis writes/s, ${SEED_THROUGH_WRITER ? '256 in flight through a LogWriter in the bench' : '64 in flight over HTTP'})\n`);
    // A restart: the map is loaded from the chains' tables, not folded from the log.
    await server.stop();
    const started = performance.now();
    server = await startServer(ROOT, databaseUrl, logSeed);
    const restartSeconds = (performance.now() - started) / 1000;
    const ids = seeded.identities.map((i) => i.head.userId);
    const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
    const logSize = Number((await (await fetch(`${server.base}/v1/log/checkpoint`)).text()).split('\n')[1]);
    const map = await mapFigures(databaseUrl, server.base, ids);
    process.stderr.write(`  key map: loaded from the tables in ${map.loadFromTablesSeconds.toFixed(2)} s, rebuilt from the log in ${map.rebuildFromLogSeconds.toFixed(2)} s; the registry restarted (ready) in ${restartSeconds.toFixed(1)} s\n`);

    const phases: Phase[] = [];
    const comparisons: Comparison[] = [];
    const wanted = (name: string) => PHASES === undefined || PHASES.some((word) => name.includes(word));
    const measure = async (name: string, options: autocannon.Options) => {
      if (!wanted(name)) return null;
      const phase = await load(name, options);
      phases.push(phase);
      return phase;
    };
    const lookup = (base: string): autocannon.Options => ({ url: base, requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/v1/users/${pick()}` }) }] });
    // Rotations: one fresh successor per identity, each sent once; each turn rotates its own share.
    const rotatable = seeded.identities.slice(0, Math.min(size, 40_000));
    const turns: Array<'base' | 'current'> = BASE_DIR === undefined ? ['current'] : ['base', 'current', 'current', 'base'];
    const share = Math.floor(rotatable.length / turns.length);
    const rotation = (base: string, turn: number): autocannon.Options => {
      const records = rotatable.slice(turn * share, (turn + 1) * share).map((identity) => fastRotation(identity));
      let r = 0;
      return {
        url: base,
        amount: records.length,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => {
              const record = records[r++ % records.length]!;
              return { ...req, path: `/v1/users/${record.userId}`, body: JSON.stringify(record) };
            },
          },
        ],
      };
    };
    // Creates: as many fresh genesis records as each turn's rotations, each sent once.
    const creation = (base: string): autocannon.Options => {
      const records = Array.from({ length: share }, () => fastGenesis().head);
      let r = 0;
      return {
        url: base,
        amount: records.length,
        requests: [{ method: 'POST', path: '/v1/users', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: JSON.stringify(records[r++ % records.length]) }) }],
      };
    };
    const lookups: Comparison = { name: 'lookup GET /v1/users/{id}', base: [], current: [] };
    const rotations: Comparison = { name: 'rotation POST /v1/users/{id}', base: [], current: [] };
    const creates: Comparison = { name: 'create POST /v1/users', base: [], current: [] };
    let afterLookups = memoryOf(server.child.pid!);
    for (const [turn, build] of turns.entries()) {
      if (turns.length > 1) {
        await server.stop();
        server = await startServer(build === 'base' ? BASE_DIR! : ROOT, databaseUrl, logSeed);
      }
      const label = BASE_DIR === undefined ? '' : ` [${build === 'base' ? 'base' : 'this'}]`;
      const l = await measure(`${lookups.name}${label}`, lookup(server.base));
      if (l !== null) lookups[build].push(l.requestsPerSecond);
      if (build === 'current') afterLookups = memoryOf(server.child.pid!);
      const w = await measure(`${rotations.name}${label}`, rotation(server.base, turn));
      if (w !== null) rotations[build].push(w.requestsPerSecond);
      const c = wanted(creates.name) ? await measure(`${creates.name}${label}`, creation(server.base)) : null;
      if (c !== null) creates[build].push(c.requestsPerSecond);
    }
    if (BASE_DIR !== undefined) comparisons.push(...[lookups, rotations, creates].filter((c) => c.current.length > 0));
    if (turns.at(-1) !== 'current') {
      await server.stop();
      server = await startServer(ROOT, databaseUrl, logSeed);
    }
    const base = server.base;
    const size2 = Number((await (await fetch(`${base}/v1/log/checkpoint`)).text()).split('\n')[1]);
    const randomIndex = () => Math.floor(Math.random() * size2);
    await measure('GET /v1/log/checkpoint', { url: `${base}/v1/log/checkpoint` });
    await measure('GET /v1/log/proof/inclusion', { url: base, requests: [{ method: 'GET', setupRequest: (q) => ({ ...q, path: `/v1/log/proof/inclusion?index=${randomIndex()}&size=${size2}` }) }] });
    await measure('GET /v1/log/proof/consistency', {
      url: base,
      requests: [{ method: 'GET', setupRequest: (q) => ({ ...q, path: `/v1/log/proof/consistency?from=${1 + Math.floor(Math.random() * (size2 - 1))}&to=${size2}` }) }],
    });
    await measure('GET /v1/log/entries (100)', { url: base, requests: [{ method: 'GET', setupRequest: (q) => ({ ...q, path: `/v1/log/entries?start=${randomIndex()}&limit=100` }) }] });
    const memory = memoryOf(server.child.pid!);

    // The answers under load are real: verify a sample with the SDK.
    const vkey = (await (await fetch(`${base}/v1/registry`)).json()).vkey as string;
    const client = new RegistryClient({ url: base, vkey });
    for (let i = 0; i < 25; i++) await client.lookup(pick());

    return { size, logSize: size2, seededLogSize: logSize, genesisWritesPerSecond: genesisRate, restartSeconds, phases, comparisons, map, memory, memoryAfterLookups: afterLookups, helloRps, verifiedSample: 25 };
  } finally {
    await server.stop();
  }
}

async function helloWorld(): Promise<Phase> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/hello-world.ts', String(port)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitFor(`http://127.0.0.1:${port}/hello`, child);
    return await load('hello world (ceiling)', { url: `http://127.0.0.1:${port}/hello` });
  } finally {
    child.kill();
  }
}

/** Two `peerkeys witness` processes for the log of `vkey`, each on a fresh embedded database. */
async function startWitnesses(vkey: string): Promise<{ env: string; vkeys: string[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(process.env['BENCH_TMP'] ?? tmpdir(), 'peerkeys-bench-witness-'));
  const witnesses = await Promise.all(
    [1, 2].map(async (n) => {
      const port = await freePort();
      const seed = randomBytes(32);
      const name = `w${n}.bench.local`;
      const child = spawn(process.execPath, ['dist/cli/peerkeys.js', 'witness'], {
        cwd: ROOT,
        env: { ...process.env, WITNESS_NAME: name, WITNESS_SIGNING_KEY: toBase64Url(seed), WITNESS_LOGS: vkey, WITNESS_PORT: String(port), WITNESS_DATA_DIR: join(dir, name), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(`${url}/`, child);
      return { child, url, vkey: formatCosignerKey(cosignerKey(name, nodeSigner(new Uint8Array(seed)).publicKey)) };
    }),
  );
  return {
    env: witnesses.map((w) => `${w.url} ${w.vkey}`).join(','),
    vkeys: witnesses.map((w) => w.vkey),
    async stop() {
      for (const w of witnesses) {
        w.child.kill('SIGTERM');
        await new Promise((resolve) => w.child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Genesis writes/s with and without two local witnesses, alternated, each on a fresh database. */
async function benchWitnesses(writes: number) {
  process.stderr.write(`\n== writes with two local witnesses vs none (${writes} genesis writes each, 64 in flight)\n`);
  const seed32 = toBase64Url(randomBytes(32));
  const vkey = logKeyFromSeed(ORIGIN, new Uint8Array(Buffer.from(seed32, 'base64url'))).vkey;
  const rates: Record<'none' | 'two witnesses', number[]> = { none: [], 'two witnesses': [] };
  for (const round of [1, 2]) {
    for (const mode of ['none', 'two witnesses'] as const) {
      const witnesses = mode === 'none' ? null : await startWitnesses(vkey);
      const databaseUrl = await recreateDatabase('peerkeys_bench_witnesses');
      const server = await startServer(ROOT, databaseUrl, seed32, { WITNESSES: witnesses?.env ?? '' });
      const base = server.base;
      try {
        const seeded = await seed(base, writes);
        const rate = Math.round(writes / seeded.seconds);
        rates[mode].push(rate);
        let cosigned = '';
        if (witnesses !== null) {
          // The last checkpoint does get cosigned by both (after the writes, which never waited).
          const policy = witnessPolicy(witnesses.vkeys, 2)!;
          const started = performance.now();
          for (;;) {
            const note = await (await fetch(`${base}/v1/log/checkpoint`)).text();
            if ((await checkWitnessPolicy(note, policy, nodeVerify, Date.now())).ok && note.split('\n')[1] === String(writes)) break;
            if (performance.now() - started > 60_000) {
              throw new Error(`the last checkpoint was not cosigned within 60 s: ${await (await fetch(`${base}/readyz`)).text()}\n${note}`);
            }
            await new Promise((r) => setTimeout(r, 50));
          }
          cosigned = `, last checkpoint cosigned by both ${Math.round(performance.now() - started)} ms after the last write`;
        }
        process.stderr.write(`  round ${round}, ${mode}: ${rate} writes/s${cosigned}\n`);
      } finally {
        await server.stop();
        await witnesses?.stop();
      }
    }
  }
  const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
  return { writes, none: rates.none, twoWitnesses: rates['two witnesses'], ratio: mean(rates['two witnesses']) / mean(rates.none) };
}

const hello = await helloWorld();
process.stderr.write(`ceiling: Express hello-world ${hello.requestsPerSecond} req/s, p99 ${hello.p99} ms\n`);
const runs = [];
for (const size of SIZES) runs.push(await benchSize(size, hello.requestsPerSecond));

console.log(`\npeerkeys benchmark — ${new Date().toISOString()}, ${CONNECTIONS} connections, ${SECONDS} s per phase, Postgres at ${new URL(ADMIN_URL).host}`);
console.log(`ceiling: Express hello-world ${hello.requestsPerSecond} req/s (p50 ${hello.p50} ms, p99 ${hello.p99} ms)\n`);
console.log('N         phase                              req/s   of ceiling   p50 ms   p99 ms      ok   not ok');
for (const run of runs) {
  for (const phase of run.phases) {
    const ratio = `${Math.round((phase.requestsPerSecond / hello.requestsPerSecond) * 100)}%`;
    console.log(
      `${run.size.toLocaleString('en').padEnd(10)}${phase.name.padEnd(33)}${String(phase.requestsPerSecond).padStart(8)}${ratio.padStart(13)}${String(phase.p50).padStart(9)}${String(phase.p99).padStart(9)}${String(phase.ok).padStart(8)}${String(phase.notOk).padStart(9)}`,
    );
  }
  console.log(`${run.size.toLocaleString('en').padEnd(10)}seeding: ${run.genesisWritesPerSecond} genesis writes/s; server memory ${run.memory.rssMb} MB RSS (peak ${run.memory.peakMb} MB); log size ${run.logSize}; ${run.verifiedSample} lookups verified with the SDK`);
  const m = run.map;
  console.log(
    `${run.size.toLocaleString('en').padEnd(10)}key map: ${m.keys} keys; map proof ${m.proofBytes.present.avg} bytes average (max ${m.proofBytes.present.max}) for an identity, ${m.proofBytes.absent.avg} (max ${m.proofBytes.absent.max}) for an absent id; ` +
      `loaded at start from the tables in ${m.loadFromTablesSeconds.toFixed(2)} s (a restart was ready in ${run.restartSeconds.toFixed(1)} s); rebuilt from scratch out of ${m.logSize} log entries in ${m.rebuildFromLogSeconds.toFixed(2)} s (target < 30 s)${m.rebuildMatchesTables ? '' : ' — ROOTS DIFFER'}`,
  );
  for (const c of run.comparisons) {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    const change = ((mean(c.current) / Math.max(mean(c.base), 1) - 1) * 100).toFixed(1);
    console.log(
      `${run.size.toLocaleString('en').padEnd(10)}${c.name}: this build ${c.current.join(' / ')} req/s, base ${c.base.join(' / ')} req/s (turns base, this, this, base): ${Number(change) >= 0 ? '+' : ''}${change}% (${Math.round((mean(c.current) / hello.requestsPerSecond) * 100)}% of the ceiling)`,
    );
  }
}
if (BASE_DIR !== undefined) console.log(`
base build: ${BASE_DIR}`);
if (runs.length >= 2) {
  const [small, large] = [runs[0]!, runs[runs.length - 1]!];
  const l = (run: typeof small) => run.phases.find((p) => p.name.startsWith('lookup') && !p.name.includes('[base]'))!;
  console.log(`\nlookup p50 at N=${large.size} vs N=${small.size}: ${(l(large).p50 / Math.max(l(small).p50, 0.001)).toFixed(2)}×, p99 ${(l(large).p99 / Math.max(l(small).p99, 0.001)).toFixed(2)}×`);
}
const witnessRun = WITNESS_WRITES > 0 ? await benchWitnesses(WITNESS_WRITES) : null;
if (witnessRun !== null) {
  console.log(
    `\nwrites with two local witnesses: ${witnessRun.twoWitnesses.join(', ')} writes/s vs ${witnessRun.none.join(', ')} without (${Math.round(witnessRun.ratio * 100)}% of it; ${witnessRun.writes} genesis writes a round, 64 in flight)`,
  );
}
mkdirSync(`${ROOT}test/bench/results`, { recursive: true });
const file = `${ROOT}test/bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, hello, runs, witnesses: witnessRun }, null, 2));
console.log(`\nresults: ${file}`);
