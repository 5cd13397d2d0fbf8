/**
 * Opens the registry's database: Postgres through @prisma/adapter-pg when a URL is configured,
 * otherwise an embedded Postgres (PGlite) in a data folder, so a fresh checkout needs no server.
 * Both run the same Prisma client and the same migrations.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.js';

export type { PrismaClient } from './generated/client.js';

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; schema?: string | undefined; poolSize: number }
  /** dataDir undefined: in memory (tests). */
  | { kind: 'embedded'; dataDir?: string | undefined };

/** One connection's worth of raw SQL, for migrations and the few statements Prisma cannot say. */
export interface SqlSession {
  /** Runs a script of one or more statements, without parameters. */
  exec(script: string): Promise<void>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

/**
 * What the log's write path (and the chains' tables it keeps) runs its statements on: the driver
 * itself (a Database) or one of its transactions (a SqlSession). Raw SQL rather than Prisma there:
 * Prisma's per-statement cost (query compilation in WebAssembly, argument and result mapping) was
 * half of the log writer's CPU. int8 columns arrive as strings (pg) or numbers (PGlite), bytea as
 * Buffer or Uint8Array: read them with toSafeNumber and new Uint8Array.
 */
export type Sql = Pick<SqlSession, 'query'>;

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  readonly prisma: PrismaClient;
  /** Runs `work` inside one transaction on one connection. */
  transaction<T>(work: (sql: SqlSession) => Promise<T>): Promise<T>;
  /**
   * One parameterised statement on the driver itself, for the hottest reads (lookup rounds):
   * Prisma's per-statement cost was a tenth of a lookup's CPU. json columns arrive parsed.
   */
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.kind === 'postgres' ? openPostgres(config) : openEmbedded(config.dataDir);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    // Fail fast while Postgres is down: requests answer 503 instead of queueing without end.
    connectionTimeoutMillis: 5_000,
    ...(config.schema !== undefined ? { options: `-c search_path=${quoteIdent(config.schema)}` } : {}),
  });
  // An idle client losing its server (Postgres restarting) must not crash the process; the pool
  // drops that client and the next query reconnects.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, config.schema !== undefined ? { schema: config.schema } : undefined) });
  return {
    kind: 'postgres',
    prisma,
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          exec: async (script) => void (await client.query(script)),
          query: async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[],
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    query: async <T>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as T[],
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * Postgres settings of the embedded database, on top of PGlite's own. PGlite allocates and zeroes
 * Postgres's shared buffers inside its WebAssembly memory when it starts, and that memory never
 * shrinks: the default 128 MB of shared_buffers was 135 MB of the registry's resident memory
 * before its first query (442 MB → 307 MB at 10,000 identities). 16 MB holds the hot pages of the
 * indexes; the rest of the data folder is read through the operating system's page cache, and hot
 * lookups are answered from the registry's own caches (DESIGN.md §9).
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB'];

async function openEmbedded(dataDir: string | undefined): Promise<Database> {
  let location: string | undefined;
  if (dataDir !== undefined) {
    location = join(dataDir, 'pglite');
    mkdirSync(location, { recursive: true });
  }
  const db = new PGlite({ ...(location !== undefined ? { dataDir: location } : {}), startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS] });
  await db.waitReady;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    kind: 'embedded',
    prisma,
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          exec: async (script) => void (await tx.exec(script)),
          query: async <T>(text: string, params?: unknown[]) => (await tx.query<T>(text, params)).rows,
        }),
      ),
    query: async <T>(text: string, params?: unknown[]) => (await db.query<T>(text, params)).rows,
    async ping() {
      await db.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
