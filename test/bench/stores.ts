/**
 * Where a benchmarked registry keeps its log, per mode: `postgres`, a database of its own on the
 * Postgres server (BENCH_DATABASE, dropped and created for each size), or `embedded`, what
 * `npm start` gives a newcomer — no DATABASE_URL, PGlite in DATA_DIR (a fresh temporary folder)
 * and the log signing key generated there (the bench writes that file, so it knows the key).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseConfig } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { systemClock } from '../../src/server/clock.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { MapState } from '../../src/server/log/map-state.js';
import { fastGenesis, type FastIdentity } from './fast-records.js';

export const ORIGIN = 'bench.local/peerkeys';
export const MODES = ['embedded', 'postgres'] as const;
export type Mode = (typeof MODES)[number];
export const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const DATABASE_NAME = process.env['BENCH_DATABASE'] ?? 'peerkeys_bench';
/** Where embedded data folders (and witnesses' ones) go. */
export const TEMP_ROOT = process.env['BENCH_TMP'] ?? tmpdir();

export interface Store {
  mode: Mode;
  /** The environment a registry server on this store runs with. */
  env: Record<string, string>;
  /** The log signing key's seed. */
  seed: Uint8Array;
  /** The database, opened in the bench's process (an embedded one only while no server has it). */
  open(): Promise<Database>;
  /** Removes what the store holds. */
  remove(): Promise<void>;
}

/** Drops and creates the database `name` on the Postgres server; its URL. */
export async function recreateDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** An empty store for `mode`, with a fresh log signing key. */
export async function emptyStore(mode: Mode): Promise<Store> {
  const seed = new Uint8Array(randomBytes(32));
  if (mode === 'postgres') {
    const url = await recreateDatabase(DATABASE_NAME);
    const config: DatabaseConfig = { kind: 'postgres', url, poolSize: 4 };
    return {
      mode,
      seed,
      env: { DATABASE_URL: url, LOG_SIGNING_KEY: toBase64Url(seed), LOG_ORIGIN: ORIGIN, DATABASE_POOL_SIZE: '20' },
      open: () => openDatabase(config),
      remove: async () => {},
    };
  }
  const dataDir = mkdtempSync(join(TEMP_ROOT, 'peerkeys-bench-embedded-'));
  // What a first `npm start` generates (src/node/log-key.ts), written ahead so the bench can seed.
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'log-signing-key'), `${toBase64Url(seed)}\n`, { mode: 0o600 });
  return {
    mode,
    seed,
    env: { DATA_DIR: dataDir, LOG_ORIGIN: ORIGIN },
    open: () => openDatabase({ kind: 'embedded', dataDir }),
    remove: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/**
 * Seeds `count` identities through a LogWriter of this process, with no server running: the same
 * transactions as POST /v1/users without HTTP and signature checks, 256 in flight (batches of up
 * to 256). The store is migrated first, as a server's start would.
 */
export async function seedThroughWriter(store: Store, count: number): Promise<{ identities: FastIdentity[]; seconds: number }> {
  const db = await store.open();
  try {
    await migrate(db);
    const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), logKeyFromSeed(ORIGIN, store.seed), systemClock);
    await writer.init();
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

/** Seeds `count` identities over HTTP, 64 in flight. */
export async function seedOverHttp(base: string, count: number): Promise<{ identities: FastIdentity[]; seconds: number }> {
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
