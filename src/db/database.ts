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
import { expectUpdated } from './client.js';
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
   * runs the statement unprepared, or as a session function if it has `embedded`.
   */
  prepared?: boolean;
  /**
   * The SQL types of its parameters and the names and types of its columns, for a hot statement
   * of the embedded database, which has no prepared statements: it then runs as a session
   * function (embeddedQueryFunction), whose plan PGlite keeps. Ignored on Postgres.
   */
  embedded?: {
    params: readonly string[];
    columns: ReadonlyArray<readonly [name: string, type: string]>;
    /**
     * Columns (of `columns`) to order the rows by: the ORDER BY of the statement orders the rows
     * the function returns, but only the ORDER BY of the SELECT that calls it orders the answer.
     */
    orderBy?: readonly string[];
  };
}

/**
 * A statement that returns no rows, for SqlSession.batch: its text is written from references to
 * its parameters (`$n::type`, numbered wherever the batch puts them), so the same statement runs
 * alone on Postgres and inside a batch's function on the embedded database.
 */
export interface BatchStatement {
  /** Each parameter's SQL type, in order ('bigint[]', 'text', …). */
  types: readonly string[];
  params: unknown[];
  /** The text, given a reference to each parameter. A constant but for those: values go in parameters. */
  sql(refs: string[]): string;
  /**
   * The rows it must write, or the batch fails (and its transaction rolls back): for an update
   * whose WHERE refuses rows the batch's own checks should have refused first.
   */
  writes?: { rows: number; what: string };
}

/** One connection's worth of raw SQL: the session of every transaction (log writer, mirror, witness store) and of migrations. */
export interface SqlSession {
  /** Runs a script of one or more statements, without parameters. */
  exec(script: string): Promise<void>;
  query<T>(text: string, params?: unknown[], options?: StatementOptions): Promise<T[]>;
  /**
   * Runs statements in order, each checked against the rows it `writes`. On Postgres each is
   * prepared and run in turn; on the embedded database each run of them with at most 100
   * parameters in all (a PL/pgSQL function takes no more arguments) is one call of a session
   * function (embeddedBatchFunction), which PGlite plans once: its fixed cost per statement (six
   * calls into its WebAssembly, and parsing and planning the text anew each time) was most of the
   * log writer's time there (issue 19). A statement of more than 100 parameters runs alone.
   */
  batch(statements: readonly BatchStatement[]): Promise<void>;
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
        batch: async (statements) => {
          stillOpen();
          return session.batch(statements);
        },
      }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A batch statement's text with its parameters numbered from `first`. */
export function statementText(statement: BatchStatement, first: number): string {
  return statement.sql(statement.types.map((type, i) => `$${first + i}::${type}`));
}

/** Fails a batch whose statement wrote other than the rows it `writes` (client.ts, expectUpdated). */
function expectWrites(statement: BatchStatement, rows: number): void {
  if (statement.writes !== undefined) expectUpdated(rows, statement.writes.rows, statement.writes.what);
}

/**
 * The names of the statements prepared so far, by text: a lookup round's text is 1.5 kB, hashed
 * on every round until it was remembered. The texts are the code's constants, a few dozen; the
 * bound only keeps a caller that made texts up from growing it without end.
 */
const preparedNames = new Map<string, string>();
const PREPARED_NAMES = 1_000;

/** The name a prepared statement has on every connection: its text's hash (StatementOptions['prepared']). */
function preparedStatementName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `peerkeys_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    if (preparedNames.size >= PREPARED_NAMES) preparedNames.clear();
    preparedNames.set(text, name);
  }
  return name;
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
          batch: async (statements) => {
            for (const statement of statements) {
              const { rowCount } = await client.query(pgStatement(statementText(statement, 1), statement.params, { prepared: true }));
              expectWrites(statement, rowCount ?? 0);
            }
          },
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
  /**
   * The session functions (batches, statements) the session holds: made outside a transaction, or
   * by one that committed. Forgotten, all of them, when a call finds its function gone (the
   * session's temporary objects were dropped, as DISCARD TEMP does): they are made again.
   */
  const functions = new Set<string>();
  /** Runs a statement, as a session function if it says how (StatementOptions.embedded); `made` collects the functions a transaction makes. */
  const run = async <T>(session: Pick<PGlite, 'exec' | 'query'>, made: string[] | null, text: string, params?: unknown[], options?: StatementOptions): Promise<T[]> => {
    if (options?.embedded === undefined) return (await session.query<T>(text, params)).rows;
    return callFunction<T>(session, made, embeddedQueryFunction(text, options.embedded), params ?? []);
  };
  /** Calls a session function, made first unless the session holds it. */
  const callFunction = async <T>(session: Pick<PGlite, 'exec' | 'query'>, made: string[] | null, fn: SessionFunction, params: unknown[]): Promise<T[]> => {
    const call = async () => {
      if (!functions.has(fn.name) && made?.includes(fn.name) !== true) {
        await session.exec(fn.create);
        if (made === null) functions.add(fn.name);
        else made.push(fn.name);
      }
      return (await session.query<T>(fn.call, params)).rows;
    };
    // Outside a transaction a failed call changed nothing: it is made and called again, once. In
    // one, the error ended the transaction, which `transaction` runs again.
    if (made !== null) return call();
    return call().catch((error: unknown) => {
      if (!(isMissingFunction(error) && forgetFunctions())) throw error;
      return call();
    });
  };
  /** Forgets the session's functions; false if it held none (then a missing one is not a lost one). */
  const forgetFunctions = () => {
    const held = functions.size > 0;
    functions.clear();
    return held;
  };
  /** One attempt of a transaction (Database['transaction']). */
  const attempt = async <T>(work: (sql: SqlSession) => Promise<T>, timeoutMs: number): Promise<T> => {
    // A function made in a transaction is gone if it rolls back: known to the session only once it commits.
    const made: string[] = [];
    const result = await db.transaction((tx) =>
      withinBound(timeoutMs, work, {
        exec: async (script) => void (await tx.exec(script)),
        query: (text, params, statementOptions) => run(tx, made, text, params, statementOptions),
        batch: async (statements) => {
          for (const part of parameterRuns(statements)) {
            if (part.length === 1 && part[0]!.types.length > MAX_FUNCTION_ARGUMENTS) {
              const [statement] = part as [BatchStatement];
              const { affectedRows } = await tx.query(statementText(statement, 1), statement.params);
              expectWrites(statement, affectedRows ?? 0);
              continue;
            }
            // Runs of the same statements (member rows in slices) have the same text: one function.
            const { counts } = (await callFunction<{ counts: number[] }>(tx, made, embeddedBatchFunction(part), part.flatMap((s) => s.params)))[0]!;
            part.forEach((statement, i) => expectWrites(statement, counts[i]!));
          }
        },
      }),
    );
    for (const name of made) functions.add(name);
    return result;
  };
  return {
    kind: 'embedded',
    prisma,
    // PGlite is one connection: no lock waits, but a transaction holds it, and every other
    // statement of the process waits behind it. Past the bound the callback rejects and PGlite
    // rolls back; a statement already running (WebAssembly, not interruptible) finishes first.
    transaction: async (work, options) => {
      await nextTurn();
      const timeoutMs = options?.timeoutMs ?? transactionTimeoutMs;
      // A transaction that called a function the session had lost rolled back, having written
      // nothing: it runs again, once, making its functions anew (the log writer's transaction
      // already runs again when its map is behind; the others only read and write the database).
      return attempt(work, timeoutMs).catch((error: unknown) => {
        if (!(isMissingFunction(error) && forgetFunctions())) throw error;
        return attempt(work, timeoutMs);
      });
    },
    // A turn first for the same reason: the lookup coalescer's round (server/coalescer.ts) groups
    // the lookups that arrive while it runs, and without it held one lookup each.
    query: async <T>(text: string, params?: unknown[], options?: StatementOptions) => {
      await nextTurn();
      return run<T>(db, null, text, params, options);
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

/** The most arguments a PL/pgSQL function takes (Postgres's FUNC_MAX_ARGS). */
const MAX_FUNCTION_ARGUMENTS = 100;

/**
 * The session does not have a pg_temp function it made (a new session of the same database object,
 * or one that lost its temporary objects): it has no such function (undefined_function), or no
 * temporary schema yet (invalid_schema_name: "pg_temp" does not exist until the session makes a
 * temporary object).
 */
function isMissingFunction(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ['42883', '3F000'].includes((error as { code?: unknown }).code as string);
}

/**
 * `statements` cut, in order, into runs of at most MAX_FUNCTION_ARGUMENTS parameters in all, each
 * one batch function's; a statement of more parameters is a run alone.
 */
function parameterRuns(statements: readonly BatchStatement[]): BatchStatement[][] {
  const runs: BatchStatement[][] = [];
  let current: BatchStatement[] = [];
  let count = 0;
  for (const statement of statements) {
    if (current.length > 0 && count + statement.types.length > MAX_FUNCTION_ARGUMENTS) {
      runs.push(current);
      current = [];
      count = 0;
    }
    current.push(statement);
    count += statement.types.length;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** A session function and its call (embeddedQueryFunction, embeddedBatchFunction). */
interface SessionFunction {
  name: string;
  create: string;
  call: string;
}

/**
 * A PL/pgSQL function in pg_temp taking parameters of the types `params`, defined by `definition`
 * (its RETURNS clause on), named after a hash of its text so that a name always means one text;
 * `select` makes the statement that calls it with $1, $2, ….
 */
function sessionFunction(kind: string, params: readonly string[], definition: string, select: (call: string) => string): SessionFunction {
  const text = `(${params.join(', ')}) ${definition}`;
  const name = `pg_temp.peerkeys_${kind}_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  return { name, create: `CREATE OR REPLACE FUNCTION ${name}${text}`, call: select(`${name}(${params.map((_, i) => `$${i + 1}`).join(', ')})`) };
}

/** A statement's text in a function body quoted by `$quote$`, which it must not contain. */
function quotable(text: string, quote: string): string {
  if (text.includes(quote)) throw new Error(`a statement contains ${quote}, the quote of its function`);
  return text;
}

/**
 * The session function that returns the rows of the statement `text` (StatementOptions.embedded),
 * with its columns named so that they clash with no column the statement reads (PL/pgSQL makes
 * them variables of its body), and the call that gives them their names back.
 */
function embeddedQueryFunction(text: string, types: NonNullable<StatementOptions['embedded']>): SessionFunction {
  const columns = types.columns.map(([name, type], i) => ({ name, type, out: `query_column_${i}` }));
  const out = (name: string) => {
    const column = columns.find((c) => c.name === name);
    if (column === undefined) throw new Error(`${name} is not a column of the statement`);
    return column.out;
  };
  const order = types.orderBy !== undefined && types.orderBy.length > 0 ? ` ORDER BY ${types.orderBy.map(out).join(', ')}` : '';
  return sessionFunction(
    'query',
    types.params,
    `RETURNS TABLE(${columns.map((c) => `${c.out} ${c.type}`).join(', ')}) LANGUAGE plpgsql AS $query$ BEGIN RETURN QUERY ${quotable(text, '$query$')}; END $query$`,
    (call) => `SELECT ${columns.map((c) => `${c.out} AS ${c.name}`).join(', ')} FROM ${call}${order}`,
  );
}

/**
 * The session function that runs `statements` in order (a run of SqlSession.batch on the embedded
 * database, parameterRuns), taking every statement's parameters in turn and returning the rows each wrote.
 * PGlite plans each statement of a function once per session, as Postgres plans a prepared one;
 * a batch of other statements (another mix of kinds) is another function.
 */
function embeddedBatchFunction(statements: readonly BatchStatement[]): SessionFunction {
  let first = 1;
  const body = statements.map((statement) => {
    const text = quotable(statementText(statement, first), '$batch$');
    first += statement.types.length;
    // The variables' names clash with no column a statement names.
    return `${text};\n  GET DIAGNOSTICS batch_rows = ROW_COUNT;\n  batch_counts := batch_counts || batch_rows;`;
  });
  return sessionFunction(
    'batch',
    statements.flatMap((s) => s.types),
    `RETURNS int[] LANGUAGE plpgsql AS $batch$\nDECLARE batch_counts int[] := '{}'; batch_rows int;\nBEGIN\n  ${body.join('\n  ')}\n  RETURN batch_counts;\nEND $batch$`,
    (call) => `SELECT ${call} AS counts`,
  );
}
