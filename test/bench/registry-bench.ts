/**
 * `npm run bench`: the registry under load in both of its modes — `embedded`, what `npm start`
 * gives a newcomer (no DATABASE_URL: PGlite in a data folder, here a temporary one), and
 * `postgres` (DATABASE_URL) — next to the ceiling a plain Express hello-world reaches on the same
 * machine, measured in its own process just before each run's lookups, and then the same
 * hello-world served as the registry serves its app (src/server/http/message-classes.ts: no
 * per-request Object.setPrototypeOf), the tuned ceiling. Issue 19's targets are against the plain
 * one; the registry, which has the tuning, can pass it, and ÷ tuned shows what it still costs over
 * a bare request served the same way. For each mode and N
 * (default 10,000 and 100,000 identities) it seeds N identities, starts the registry on them, and
 * measures with autocannon at 32 connections: lookups (full verifiable bundles: live chain,
 * inclusion proof, signed checkpoint, map proof), creates, rotations (each acknowledged with its
 * inclusion proof), tiles (c2sp.org/tlog-tiles, DESIGN.md §5.3), the log endpoints, and the
 * server's memory; on Postgres also one registry process against two on the same database. It
 * prints every phase, the headline figures with their ratio at the largest N against the smallest,
 * and a table against issue 19's targets, and writes JSON to test/bench/results/. A benchmark, not
 * a test: it reports, it does not pass or fail.
 *
 *   BENCH_SIZES=10000,100000 BENCH_SECONDS=15 BENCH_MODES=embedded,postgres npm run bench
 *
 * BENCH_MODES chooses the modes (default both); Postgres is DATABASE_URL's server (default
 * postgres://postgres@127.0.0.1:5432/postgres), on which BENCH_DATABASE names the database the
 * bench drops and creates (default peerkeys_bench). Embedded data folders go under BENCH_TMP (default
 * the system's temporary folder) and are removed after each run.
 * BENCH_PHASES=lookup,checkpoint runs only the phases whose names contain one of those words.
 * BENCH_SEED=writer seeds through the registry's LogWriter in this process instead of over HTTP
 * (the same transactions, without HTTP and signature checks; with no server running, so an
 * embedded store is seeded the same way): for a busy machine, where seeding 100,000 identities
 * over HTTP takes too long. The seeding rate printed is then that path's.
 * Then (unless BENCH_WITNESS_WRITES=0, and if postgres is among the modes) writes/s with two local
 * witnesses against without, in the same run: BENCH_WITNESS_WRITES genesis writes (default 5000)
 * each way, alternated twice; BENCH_SIZES= (empty) runs only that.
 * BENCH_PROFILE=<folder> runs the servers under `node --cpu-prof` and leaves their profiles there
 * (open one in Chrome DevTools, or summarise it with `tsx test/bench/profile-summary.ts <file>`).
 *
 * The key map (DESIGN.md §5.2): for each run it prints the map proof sizes of real answers, the
 * time a registry takes to load the map (from the chains' tables) and to rebuild it from scratch
 * out of the log's entries. BENCH_BASE=<a built checkout of another commit> compares lookups,
 * rotations and creates with that build in the same run, on the same store: the two servers take turns (base,
 * this, this, base), e.g.
 *
 *   git worktree add --detach ../base d51f594 && (cd ../base && ln -s $PWD/node_modules && npm run build)
 *   BENCH_BASE=../base npm run bench
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type autocannon from 'autocannon';
import { RegistryClient } from '../../src/sdk/index.js';
import { CONNECTIONS, SECONDS, creates, gets, load, lookups, Rotations, tiles, type Phase } from './load.js';
import { mapLoadFigures, mapProofSizes } from './map-figures.js';
import { memoryOf, ROOT, startServer, withHelloWorld, type Server } from './processes.js';
import { PHASE, printFigures, printPhases, printTargets, type Comparison, type Run } from './report.js';
import { ADMIN_URL, emptyStore, MODES, seedOverHttp, seedThroughWriter, type Mode } from './stores.js';
import { benchWitnessWrites } from './witness-writes.js';

const SIZES = (process.env['BENCH_SIZES'] ?? '10000,100000').split(',').filter((n) => n.trim() !== '').map(Number);
const BENCH_MODES = (process.env['BENCH_MODES'] ?? MODES.join(',')).split(',').map((mode) => mode.trim());
const WITNESS_WRITES = Number(process.env['BENCH_WITNESS_WRITES'] ?? 5000);
const PHASES = process.env['BENCH_PHASES']?.split(',');
/** A built checkout to compare with (its dist/ is started the same way), or none. */
const BASE_DIR = process.env['BENCH_BASE'] === undefined ? undefined : resolve(process.env['BENCH_BASE']);
const SEED_THROUGH_WRITER = process.env['BENCH_SEED'] === 'writer';
const WARM_UP_SECONDS = 2;
/** Lookups verified with the SDK after the load: the answers under load are real. */
const VERIFIED_SAMPLE = 25;

for (const mode of BENCH_MODES) if (!(MODES as readonly string[]).includes(mode)) throw new Error(`BENCH_MODES: "${mode}" is not one of ${MODES.join(', ')}`);
if (SIZES.some((n) => !Number.isSafeInteger(n) || n < 256)) throw new Error('BENCH_SIZES: each size is a whole number of identities, at least 256 (a full tile)');

async function benchSize(mode: Mode, size: number): Promise<Run> {
  process.stderr.write(`\n== ${mode}, N = ${size.toLocaleString('en')} identities\n`);
  const store = await emptyStore(mode);
  let server: Server | null = null;
  let second: Server | null = null;
  try {
    let seeded;
    if (SEED_THROUGH_WRITER) {
      seeded = await seedThroughWriter(store, size);
    } else {
      const seeder = await startServer(ROOT, store.env);
      try {
        seeded = await seedOverHttp(seeder.base, size);
      } finally {
        await seeder.stop();
      }
    }
    const seeding = {
      writesPerSecond: Math.round(size / seeded.seconds),
      how: SEED_THROUGH_WRITER ? '256 in flight through a LogWriter in the bench' : '64 in flight over HTTP',
    };
    process.stderr.write(`  seeded in ${seeded.seconds.toFixed(1)} s (${seeding.writesPerSecond} genesis writes/s, ${seeding.how})\n`);
    // A start on a seeded store: the map is loaded from the chains' tables, not folded from the log.
    const started = performance.now();
    server = await startServer(ROOT, store.env);
    const startSeconds = (performance.now() - started) / 1000;
    const ids = seeded.identities.map((i) => i.head.userId);
    const proofBytes = await mapProofSizes(server.base, ids);

    const phases: Phase[] = [];
    // The options are made only for a phase that runs: writes are signed while they are made.
    const measure = async (name: string, options: () => autocannon.Options) => {
      if (PHASES !== undefined && !PHASES.some((word) => name.includes(word))) return null;
      const phase = await load(name, options());
      // What the server holds after each phase: where its memory went.
      if (server !== null) phase.rssMbAfter = memoryOf(server.child.pid!).rssMb;
      phases.push(phase);
      return phase;
    };
    const ceiling = await withHelloWorld('plain', (url) => load('hello world (ceiling)', { url }));
    const tunedCeiling = await withHelloWorld('tuned', (url) => load('hello world (tuned ceiling)', { url }));
    process.stderr.write(
      `  ceilings: Express hello-world ${ceiling.requestsPerSecond} req/s, p99 ${ceiling.p99} ms; with the app's message classes (tuned) ${tunedCeiling.requestsPerSecond} req/s, p99 ${tunedCeiling.p99} ms\n`,
    );

    const rotations = new Rotations(seeded.identities);
    const turns: Array<'base' | 'current'> = BASE_DIR === undefined ? ['current'] : ['base', 'current', 'current', 'base'];
    const lookupTurns: Comparison = { name: PHASE.lookup, base: [], current: [] };
    const rotationTurns: Comparison = { name: PHASE.rotation, base: [], current: [] };
    const createTurns: Comparison = { name: PHASE.create, base: [], current: [] };
    let memoryAfterLookups = memoryOf(server.child.pid!);
    for (const build of turns) {
      if (turns.length > 1) {
        await server.stop();
        server = await startServer(build === 'base' ? BASE_DIR! : ROOT, store.env);
      }
      const label = BASE_DIR === undefined ? '' : ` [${build === 'base' ? 'base' : 'this'}]`;
      const url = server.base;
      // Untimed: a fresh process's first seconds are spent compiling, which short phases would count.
      await load('warm-up', { ...lookups([url], ids), duration: WARM_UP_SECONDS });
      const l = await measure(`${PHASE.lookup}${label}`, () => lookups([url], ids));
      if (l !== null) lookupTurns[build].push(l.requestsPerSecond);
      if (build === 'current') memoryAfterLookups = memoryOf(server.child.pid!);
      let settle = () => {};
      const w = await measure(`${PHASE.rotation}${label}`, () => {
        const rotation = rotations.phase([url]);
        settle = rotation.settle;
        return rotation.options;
      });
      settle();
      if (w !== null) rotationTurns[build].push(w.requestsPerSecond);
      if (BASE_DIR !== undefined) {
        const c = await measure(`${PHASE.create}${label}`, () => creates([url]));
        if (c !== null) createTurns[build].push(c.requestsPerSecond);
      }
    }
    if (turns.at(-1) !== 'current') {
      await server.stop();
      server = await startServer(ROOT, store.env);
    }
    const base = server.base;
    await measure(PHASE.create, () => creates([base]));
    const logSize = Number((await (await fetch(`${base}/v1/log/checkpoint`)).text()).split('\n')[1]);
    await measure(PHASE.tiles, () => tiles([base], logSize));
    const randomIndex = () => Math.floor(Math.random() * logSize);
    await measure('GET /v1/log/checkpoint', () => ({ url: `${base}/v1/log/checkpoint` }));
    await measure('GET /v1/log/proof/inclusion', () => gets([base], () => `/v1/log/proof/inclusion?index=${randomIndex()}&size=${logSize}`));
    await measure('GET /v1/log/proof/consistency', () => gets([base], () => `/v1/log/proof/consistency?from=${1 + Math.floor(Math.random() * (logSize - 1))}&to=${logSize}`));
    await measure('GET /v1/log/entries (100)', () => gets([base], () => `/v1/log/entries?start=${randomIndex()}&limit=100`));
    const memory = memoryOf(server.child.pid!);

    if (mode === 'postgres') {
      // Appends are serialised by a row lock and caches hold only immutable data: a second process
      // on the same database shares the load (both servers get half of the connections).
      second = await startServer(ROOT, store.env);
      const both = [base, second.base];
      await measure(PHASE.twoProcessLookups, () => lookups(both, ids));
      await measure(PHASE.twoProcessCreates, () => creates(both));
      await second.stop();
      second = null;
    }

    const vkey = ((await (await fetch(`${base}/v1/registry`)).json()) as { vkey: string }).vkey;
    const client = new RegistryClient({ url: base, vkey });
    for (let i = 0; i < VERIFIED_SAMPLE; i++) await client.lookup(ids[Math.floor(Math.random() * ids.length)]!);

    // The map's figures in this process, with no server holding the store (an embedded one needs that).
    await server.stop();
    server = null;
    const db = await store.open();
    const map = await mapLoadFigures(db).finally(() => db.close());
    return {
      mode,
      size,
      logSize,
      seeding,
      startSeconds,
      ceiling,
      tunedCeiling,
      phases,
      comparisons: BASE_DIR === undefined ? [] : [lookupTurns, rotationTurns, createTurns].filter((turns) => turns.current.length > 0),
      map: { ...map, proofBytes },
      memory,
      memoryAfterLookups,
      verifiedSample: VERIFIED_SAMPLE,
    };
  } finally {
    await second?.stop();
    await server?.stop();
    await store.remove();
  }
}

const runs: Run[] = [];
for (const mode of BENCH_MODES as Mode[]) for (const size of SIZES) runs.push(await benchSize(mode, size));

const where = BENCH_MODES.includes('postgres') ? `, Postgres at ${new URL(ADMIN_URL).host}` : '';
console.log(`\npeerkeys benchmark — ${new Date().toISOString()}, ${CONNECTIONS} connections, ${SECONDS} s per phase${where}`);
if (runs.length > 0) {
  console.log('');
  printPhases(runs);
  if (BASE_DIR !== undefined) console.log(`\nbase build: ${BASE_DIR}`);
  console.log('');
  printFigures(runs);
}
const witnessRun = WITNESS_WRITES > 0 && BENCH_MODES.includes('postgres') ? await benchWitnessWrites(WITNESS_WRITES) : null;
if (witnessRun !== null) {
  console.log(
    `\nwrites on Postgres with two local witnesses: ${witnessRun.twoWitnesses.join(', ')} writes/s vs ${witnessRun.none.join(', ')} without (${Math.round(witnessRun.ratio * 100)}% of it; ${witnessRun.writes} genesis writes a round, 64 in flight)`,
  );
}
if (runs.length > 0) {
  console.log('\nagainst the targets of issue 19:');
  printTargets(runs);
}
mkdirSync(`${ROOT}test/bench/results`, { recursive: true });
const file = `${ROOT}test/bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, modes: BENCH_MODES, runs, witnesses: witnessRun }, null, 2));
console.log(`\nresults: ${file}`);
