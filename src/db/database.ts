/**
 * Opens the registry's database: Postgres when a URL is configured, otherwise an embedded Postgres
 * (PGlite) in a data folder, so a fresh checkout needs no server. Both run the same migrations and
 * the same Prisma client (through @prisma/adapter-pg or PGlite's adapter) for most statements; the
 * hottest — every transaction (log writer, mirror, witness store) and the lookup rounds — run as
 * raw SQL on the driver itself (`transaction`, `query`).
 */
import { createHash } from 'node:crypto';
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
      /** The bound of a transaction that names none; TRANSACTION_TIMEOUT_MS unless a test shortens it. */
      transactionTimeoutMs?: number | undefined;
    }
  /** dataDir undefined: in memory (tests). */
  | { kind: 'embedded'; dataDir?: string | undefined; transactionTimeoutMs?: number | undefined };

/**
 * How long a transaction may run, from its first statement to its commit, unless it says
 * otherwise (Prisma's interactive transactions had the same 30 s). The log's writer holds the
 * log's row lock for all of its transaction: an unbounded one that hangs (a frozen process, work
 * that never settles) would stop every write in every process.
 */
export const TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * A transaction rolled back because it outlived its bound, or gave up waiting for a lock that
 * long. Nothing of it was written; the database is busy or stuck, not the request wrong: 503.
 */
export class TransactionTimeoutError extends Error {
  readonly code = 'TRANSACTION_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`the transaction did not finish within ${timeoutMs} ms and was rolled back`);
    this.name = 'TransactionTimeoutError';
  }
}

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

/** One connection's worth of raw SQL: the session of every transaction (log writer, mirror, witness store) and of migrations. */
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
  /**
   * Runs `work` inside one transaction on one connection. The transaction is rolled back, and the
   * promise rejected with TransactionTimeoutError, if `work` has not finished within `timeoutMs`
   * (TRANSACTION_TIMEOUT_MS, or the database's configured bound); its statements after that fail.
   */
  transaction<T>(work: (sql: SqlSession) => Promise<T>, options?: { timeoutMs?: number }): Promise<T>;
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
  return config.kind === 'postgres' ? openPostgres(config) : openEmbedded(config.dataDir, config.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS);
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

/**
 * Runs `work` on `session`, racing it against `timeoutMs`: past it, rejects with
 * TransactionTimeoutError (the caller rolls back) and refuses every later statement of `work`, so
 * work that goes on after its transaction was given up writes nothing, there or anywhere else.
 */
async function withinBound<T>(timeoutMs: number, work: (sql: SqlSession) => Promise<T>, session: SqlSession): Promise<T> {
  let expired = false;
  const stillOpen = () => {
    if (expired) throw new TransactionTimeoutError(timeoutMs);
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new TransactionTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      work({
        exec: async (script) => {
          stillOpen();
          await session.exec(script);
        },
        query: async <R>(text: string, params?: unknown[], options?: StatementOptions) => {
          stillOpen();
          return session.query<R>(text, params, options);
        },
      }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
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
  const transactionTimeoutMs = config.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS;
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
    async transaction<T>(work: (sql: SqlSession) => Promise<T>, options?: { timeoutMs?: number }): Promise<T> {
      const timeoutMs = options?.timeoutMs ?? transactionTimeoutMs;
      const client = await pool.connect();
      // The server ends a session idle in its transaction past the bound (below); the client's
      // error then surfaces on its next statement, and must not crash the process meanwhile.
      const ignoreSessionEnd = () => {};
      client.on('error', ignoreSessionEnd);
      const finish = (statement: 'COMMIT' | 'ROLLBACK') =>
        client.query(statement).finally(() => client.removeListener('error', ignoreSessionEnd)).then(
          (answer) => {
            client.release();
            // Postgres answers COMMIT of a transaction that failed with ROLLBACK, not an error.
            if (answer.command !== statement) throw new Error(`the transaction ended with ${answer.command}, not ${statement}`);
          },
          (error: unknown) => {
            client.release(true); // a session in an unknown state is not reused
            throw error;
          },
        );
      let result: T;
      try {
        // The server holds the bound too, for what this process cannot: a statement waiting that
        // long for a lock (the log's row lock held by a stuck session, in any process) gives up,
        // and a session idle in its transaction that long (this process frozen) is ended, which
        // releases its locks.
        await client.query(`BEGIN; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs}`);
        result = await withinBound(timeoutMs, work, {
          exec: async (script) => void (await client.query(script)),
          query: queryOn(client),
        });
      } catch (error) {
        if (error instanceof TransactionTimeoutError) {
          // Past the bound the session may never answer again (a half-open connection would hold
          // a pool client for ever): it is closed, not reused, and Postgres rolls back a
          // transaction whose connection ends.
          client.release(true);
        } else {
          finish('ROLLBACK').catch(() => {});
        }
        throw error;
      }
      await finish('COMMIT');
      return result;
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
 * Resolves in a later turn of the event loop, after the I/O already waiting (requests read from
 * their sockets) has run. PGlite's statements run in this thread and settle as microtasks: without
 * this turn, a transaction began and committed before the event loop read another request, so
 * the log writer's group commit never grouped (every batch one write: 246 writes/s at 32 clients,
 * where the same code reached 865 on Postgres; issue 19). With it, the writes that arrive
 * meanwhile wait for the next batch, as they do on Postgres, whose statements are real I/O.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function openEmbedded(dataDir: string | undefined, transactionTimeoutMs: number): Promise<Database> {
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
    // PGlite is one connection: no lock waits, but a transaction holds it, and every other
    // statement of the process waits behind it. Past the bound the callback rejects and PGlite
    // rolls back; a statement already running (WebAssembly, not interruptible) finishes first.
    transaction: async (work, options) => {
      await nextTurn();
      return db.transaction((tx) =>
        withinBound(options?.timeoutMs ?? transactionTimeoutMs, work, {
          exec: async (script) => void (await tx.exec(script)),
          query: async <T>(text: string, params?: unknown[]) => (await tx.query<T>(text, params)).rows,
        }),
      );
    },
    // A turn first for the same reason: the lookup coalescer's round (server/coalescer.ts) groups
    // the lookups that arrive while it runs, and without it held one lookup each.
    query: async <T>(text: string, params?: unknown[]) => {
      await nextTurn();
      return (await db.query<T>(text, params)).rows;
    },
    async ping() {
      await db.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
