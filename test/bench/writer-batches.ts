/**
 * The log writer's cost per batch, in this process, without HTTP or signature checks: what a
 * change to the write path's statements saves, measured as CPU time, which a busy machine blurs
 * far less than requests per second. Seeds WB_N identities (default 10,000) into a fresh store of
 * WB_MODE (embedded, default, or postgres: BENCH_DATABASE on DATABASE_URL's server), then commits
 * WB_BATCHES batches (default 150) of WB_BATCH writes (default 12, the mean batch of the HTTP
 * bench at 32 clients) of each kind, creates then rotations, and prints per kind: CPU and wall
 * time per batch (median and mean), writes/s of CPU, and the statements of a batch's transaction
 * (a SqlSession.batch counts one). WB_TIMES=1 adds each statement's CPU time; WB_PROFILE=<file>
 * writes a CPU profile of the measured batches (test/bench/profile-summary.ts). Batches go straight
 * to the writer's (private) `process`, so that each has exactly WB_BATCH writes. For an A/B, run
 * it in a checkout of each commit, alternating (base, this, this, base).
 *
 *   BENCH_TMP=/tmp/x WB_N=3000 WB_TIMES=1 npx tsx test/bench/writer-batches.ts
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { identityKind, Write } from '../../src/ledger/index.js';
import type { Database, SqlSession } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { systemClock } from '../../src/server/clock.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { MapState } from '../../src/server/log/map-state.js';
import { fastGenesis, fastRotation, type FastIdentity } from './fast-records.js';
import { emptyStore, type Mode } from './stores.js';

const N = Number(process.env['WB_N'] ?? 10_000);
const BATCH = Number(process.env['WB_BATCH'] ?? 12);
const BATCHES = Number(process.env['WB_BATCHES'] ?? 150);
/** A CPU profile of the measured batches only (not the seeding), written to this file. */
const PROFILE = process.env['WB_PROFILE'];

/** Starts V8's CPU profiler in this process; the returned function stops it and gives the profile. */
async function startProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<{ profile?: object }>((resolve, reject) => session.post(method, (error, result) => (error !== null ? reject(error) : resolve(result as { profile?: object }))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => (await post('Profiler.stop')).profile!;
}

/** Each statement's CPU times (ms), by the start of its text (WB_TIMES=1). */
const TIMES = process.env['WB_TIMES'] === '1' ? new Map<string, number[]>() : null;
const MODE = (process.env['WB_MODE'] ?? 'embedded') as Mode;

/** The database with each transaction's statements (a batch is one) counted, and timed if WB_TIMES=1. */
function counted(db: Database, counts: { statements: number }): Database {
  const timed = async <T>(text: string, run: () => Promise<T>): Promise<T> => {
    counts.statements++;
    const started = process.cpuUsage();
    try {
      return await run();
    } finally {
      const used = process.cpuUsage(started);
      const name = text.replace(/\s+/g, ' ').slice(0, 60);
      TIMES?.set(name, [...(TIMES.get(name) ?? []), (used.user + used.system) / 1000]);
    }
  };
  const session = (sql: SqlSession): SqlSession => ({
    exec: (script) => {
      counts.statements++;
      return sql.exec(script);
    },
    query: (text, params, options) => timed(text, () => sql.query(text, params, options)),
    batch: (statements) => timed(`batch of ${statements.length}`, () => sql.batch(statements)),
  });
  return { ...db, transaction: (work, options) => db.transaction((sql) => work(session(sql)), options) };
}

interface Pending {
  write: Write<never, never>;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** Commits one batch of exactly these writes (LogWriter's own batching would cut it by arrival). */
async function commitBatch(writer: LogWriter, writes: Write<never, never>[]): Promise<void> {
  const answers: Array<Promise<unknown>> = [];
  const batch: Pending[] = writes.map((write) => {
    let pending!: Pending;
    answers.push(new Promise((resolve, reject) => (pending = { write, resolve, reject })));
    return pending;
  });
  await (writer as unknown as { process(batch: Pending[]): Promise<void> }).process(batch);
  await Promise.all(answers);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function measure(label: string, writer: LogWriter, counts: { statements: number }, batches: Write<never, never>[][]): Promise<void> {
  const cpu: number[] = [];
  const wall: number[] = [];
  const statements: number[] = [];
  for (const writes of batches) {
    counts.statements = 0;
    const started = performance.now();
    const before = process.cpuUsage();
    await commitBatch(writer, writes);
    const used = process.cpuUsage(before);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
    statements.push(counts.statements);
  }
  const warm = BATCHES >= 20 ? 10 : 0; // the first batches warm the JIT and the caches
  const c = cpu.slice(warm);
  const w = wall.slice(warm);
  console.log(
    `${MODE} ${label.padEnd(9)} batch ${BATCH}: cpu ms/batch median ${median(c).toFixed(2)} mean ${mean(c).toFixed(2)}; wall median ${median(w).toFixed(2)} mean ${mean(w).toFixed(2)}; ` +
      `${((1000 * BATCH) / mean(c)).toFixed(0)} writes per cpu-second; statements/batch ${median(statements)}`,
  );
}

const store = await emptyStore(MODE);
try {
  const raw = await store.open();
  const counts = { statements: 0 };
  const db = counted(raw, counts);
  try {
    await migrate(raw);
    const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), logKeyFromSeed('bench.local/peerkeys', store.seed), systemClock);
    await writer.init();
    const seeded: FastIdentity[] = [];
    for (let done = 0; done < N; ) {
      const chunk = Array.from({ length: Math.min(256, N - done) }, () => fastGenesis());
      await commitBatch(writer, chunk.map((identity) => new Write(identityKind, identity.head, 'genesis') as Write<never, never>));
      seeded.push(...chunk);
      done += chunk.length;
    }
    const groups = <T>(items: T[]) => Array.from({ length: BATCHES }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));
    const creates = groups(Array.from({ length: BATCHES * BATCH }, () => new Write(identityKind, fastGenesis().head, 'genesis') as Write<never, never>));
    const rotations = groups(seeded.slice(0, BATCHES * BATCH).map((identity) => new Write(identityKind, fastRotation(identity), 'successor') as Write<never, never>));
    TIMES?.clear();
    const profiler = PROFILE === undefined ? null : await startProfile();
    await measure('creates', writer, counts, creates);
    await measure('rotations', writer, counts, rotations);
    if (profiler !== null) writeFileSync(PROFILE!, JSON.stringify(await profiler()));
    for (const [name, times] of TIMES ?? []) console.log(`  ${median(times).toFixed(2).padStart(6)} ms cpu median, ${times.length} times: ${name}`);
    await writer.stop();
  } finally {
    await raw.close();
  }
} finally {
  await store.remove();
}
