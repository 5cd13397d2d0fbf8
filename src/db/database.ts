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
import { EMBEDDED_START_PARAMS } from './embedded-settings.js';
import { PrismaClient } from './generated/client.js';

export type { PrismaClient } from './generated/client.js';

export type DatabaseConfig =
  | {
      kind: 'postgres';
      url: string;
      schema?: string | undefined;
      poolSize: number;
      /** A streaming replica of `url` for lookup rounds (config DATABASE_READ_URL; server/log/lookup-reads.ts). */
      readUrl?: string | undefined;
    }
  /** dataDir undefined: in memory (tests). */
  | { kind: 'embedded'; dataDir?: string | undefined };

/** One connection's worth of raw SQL, for migrations and the few statements Prisma cannot say. */
export interface SqlSession {
  /** Runs a script of one or more statements, without parameters. */
  exec(script: string): Promise<void>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

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
  /**
   * The read replica (DATABASE_READ_URL), when one is configured: statements like `query`'s, on a
   * pool of its own. It may lag behind or be down; only server/log/lookup-reads.ts reads from it.
   */
  readonly replica?: ReadReplica;
}

/** Statements on a Postgres streaming replica: read-only, possibly behind the primary. */
export type ReadReplica = Pick<Database, 'query'>;

/** The `application_name` of the replica's connections, to tell them apart in pg_stat_activity. */
export const REPLICA_APPLICATION_NAME = 'peerkeys-read';

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  return config.kind === 'postgres' ? openPostgres(config) : openEmbedded(config.dataDir);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A connection pool to `url`. `connectionTimeoutMillis`: fail fast while the server is down, so
 * requests answer (503, or from the other database) instead of queueing without end.
 */
function openPool(
  url: string,
  options: { schema?: string | undefined; poolSize: number; applicationName?: string; connectionTimeoutMillis: number; queryTimeoutMillis?: number },
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    ...(options.queryTimeoutMillis !== undefined ? { query_timeout: options.queryTimeoutMillis } : {}),
    ...(options.applicationName !== undefined ? { application_name: options.applicationName } : {}),
    ...(options.schema !== undefined ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
  });
  // An idle client losing its server (Postgres restarting) must not crash the process; the pool
  // drops that client and the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Database['query'] on `pool`. */
function queryOn(pool: pg.Pool): Database['query'] {
  return async <T>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as T[];
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<Database> {
  const pool = openPool(config.url, { schema: config.schema, poolSize: config.poolSize, connectionTimeoutMillis: 5_000 });
  // A replica that is down or unreachable costs a lookup round at most a second to connect (or 5 s
  // for a statement that never returns) before the round is read from the primary (server/log/lookup-reads.ts).
  const replicaPool =
    config.readUrl === undefined
      ? null
      : openPool(config.readUrl, {
          schema: config.schema,
          poolSize: config.poolSize,
          applicationName: REPLICA_APPLICATION_NAME,
          connectionTimeoutMillis: 1_000,
          queryTimeoutMillis: 5_000,
        });
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
    query: queryOn(pool),
    ...(replicaPool !== null ? { replica: { query: queryOn(replicaPool) } } : {}),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await replicaPool?.end();
    },
  };
}

async function openEmbedded(dataDir: string | undefined): Promise<Database> {
  let location: string | undefined;
  if (dataDir !== undefined) {
    location = join(dataDir, 'pglite');
    mkdirSync(location, { recursive: true });
  }
  const db = new PGlite({ ...(location !== undefined ? { dataDir: location } : {}), startParams: [...EMBEDDED_START_PARAMS] });
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
