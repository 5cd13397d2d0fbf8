/**
 * Opens the registry's database: Postgres through @prisma/adapter-pg when a URL is configured,
 * otherwise an embedded Postgres (PGlite) in a data folder, so a fresh checkout needs no server.
 * Both run the same Prisma client and the same migrations.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
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

/** How a statement is run. */
export interface StatementOptions {
  /**
   * Prepare it, so that Postgres parses and plans it once per connection, not on every call: for
   * hot statements whose planning costs more than running them (a lookup round of 10 chains: 0.55
   * of its 0.7 ms of Postgres CPU). Only for a text that is a constant (or one of a few): values
   * go in parameters, never into the text, or each text would stay prepared on every connection.
   * The statement is named after a hash of its text, so a name always means one text, whichever
   * call site and connection use it. The embedded database has one session and no names: it
   * runs the statement unprepared.
   */
  prepared?: boolean;
}

/** One connection's worth of raw SQL, for migrations and the few statements Prisma cannot say. */
export interface SqlSession {
  /** Runs a script of one or more statements, without parameters. */
  exec(script: string): Promise<void>;
  query<T>(text: string, params?: unknown[], options?: StatementOptions): Promise<T[]>;
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
  query<T>(text: string, params?: unknown[], options?: StatementOptions): Promise<T[]>;
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

/**
 * Connections per process to the read replica. Only lookup rounds read it, and they run one at a
 * time per chain table (server/coalescer.ts; identities, groups: db/chain-lookups.ts): at most two
 * statements at once, however large DATABASE_POOL_SIZE is. A statement that times out takes its
 * connection out of the pool, so a hanging replica does not hold these for good.
 */
export const REPLICA_POOL_SIZE = 2;

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

/** The name a prepared statement has on every connection: its text's hash (StatementOptions['prepared']). */
function preparedStatementName(text: string): string {
  return `peerkeys_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

/** A statement for `pg`, named when it is to be prepared. */
function pgStatement(text: string, params: unknown[] | undefined, options: StatementOptions | undefined): pg.QueryConfig {
  return { text, ...(params !== undefined ? { values: params } : {}), ...(options?.prepared === true ? { name: preparedStatementName(text) } : {}) };
}

/** Database['query'] on a pool, or on one of its clients. */
function queryOn(queryable: pg.Pool | pg.PoolClient): Database['query'] {
  return async <T>(text: string, params?: unknown[], options?: StatementOptions) => (await queryable.query(pgStatement(text, params, options))).rows as T[];
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
          poolSize: REPLICA_POOL_SIZE,
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
          query: queryOn(client),
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
