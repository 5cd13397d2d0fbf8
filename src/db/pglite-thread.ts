/**
 * The embedded database (PGlite) in a worker thread of its own (db/pglite-worker.js), behind the
 * part of PGlite's interface that the registry and Prisma's PGlite adapter use: `query`, `exec`,
 * `transaction` (with `query`, `exec`, `rollback`, `closed`) and `close`.
 *
 * Why a thread: PGlite is Postgres compiled to WebAssembly, and in the server's own thread its
 * statements, their wire protocol and its file writes were half of the main thread's time under
 * writes (issue 19), on a machine whose second core had nothing to do. Here they run on that core
 * while the main thread answers HTTP and checks signatures; a statement costs the main thread one
 * message each way.
 *
 * Semantics are PGlite's: one session; a transaction holds it from BEGIN to its end, and statements
 * sent meanwhile wait on PGlite's own transaction lock in the worker. Errors keep their Postgres
 * fields (`code`, `detail`, `constraint`…), and a Postgres error arrives as PGlite's own
 * DatabaseError class, which Prisma's adapter recognises. If the thread dies (it should not: a
 * crash of WebAssembly, memory exhausted), every statement under way and every later one fails
 * with Postgres's code for a lost connection (08006), which the server answers 503.
 */
import { Worker } from 'node:worker_threads';
import { messages, type Results, type Transaction } from '@electric-sql/pglite';

type Parsers = Record<number, (text: string, type: number) => unknown>;
interface QueryOptions {
  rowMode?: 'array' | 'object';
  /** Parsers by type id, run on this thread: the worker sends those columns as their text. */
  parsers?: Parsers;
}

interface Reply {
  id: number;
  result?: unknown;
  error?: ErrorData;
}
interface ErrorData {
  name?: string;
  message: string;
  /** The error was a Postgres error (PGlite's DatabaseError). */
  databaseError?: boolean;
  [field: string]: unknown;
}

/** The error of every statement once the thread is gone: a lost connection, to Postgres and to the server (503). */
export class EmbeddedThreadGoneError extends Error {
  readonly code = '08006';
  constructor(reason: string) {
    super(`the embedded database's thread ended (${reason})`);
    this.name = 'EmbeddedThreadGoneError';
  }
}

/** The error the worker reported, rebuilt: a Postgres error as PGlite's DatabaseError, others as Error, fields kept. */
function rebuiltError(data: ErrorData): Error {
  const { name, message, databaseError, ...fields } = data;
  if (databaseError === true) return Object.assign(new messages.DatabaseError(message, 0, 'error'), fields);
  return Object.assign(new Error(message), fields, name !== undefined ? { name } : {});
}

/** Runs `parsers` on this thread over the columns the worker sent as text. */
function parsed<T>(results: Results<T>, parsers: Parsers | undefined, rowMode: QueryOptions['rowMode']): Results<T> {
  if (parsers === undefined) return results;
  const columns = results.fields.flatMap((field, i) => (parsers[field.dataTypeID] !== undefined ? [{ i, name: field.name, type: field.dataTypeID, parse: parsers[field.dataTypeID]! }] : []));
  if (columns.length === 0) return results;
  for (const row of results.rows as Array<Record<string | number, unknown>>) {
    for (const { i, name, type, parse } of columns) {
      const key = rowMode === 'array' ? i : name;
      const text = row[key];
      if (text !== null && text !== undefined) row[key] = parse(text as string, type);
    }
  }
  return results;
}

export class PGliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(result: unknown): void; reject(error: unknown): void }>();
  private nextId = 1;
  /** Why the thread is gone, once it is. */
  private gone: EmbeddedThreadGoneError | null = null;
  readonly waitReady: Promise<void>;

  /** `dataDir` undefined: in memory. */
  constructor(options: { dataDir?: string | undefined; startParams: readonly string[] }) {
    this.worker = new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: { dataDir: options.dataDir, startParams: [...options.startParams] } });
    this.waitReady = new Promise((resolve, reject) => {
      const onReady = (message: { ready?: boolean; error?: ErrorData }) => {
        if (message.ready === undefined) return;
        this.worker.off('message', onReady);
        if (message.ready) {
          this.idleUnlessPending();
          resolve();
        } else {
          reject(rebuiltError(message.error!));
        }
      };
      this.worker.on('message', onReady);
      this.worker.once('exit', (code) => reject(new EmbeddedThreadGoneError(`exit code ${code} before it was ready`)));
    });
    this.waitReady.catch(() => {});
    this.worker.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      if (call === undefined) return;
      this.pending.delete(reply.id);
      this.idleUnlessPending();
      if (reply.error !== undefined) call.reject(rebuiltError(reply.error));
      else call.resolve(reply.result);
    });
    this.worker.on('error', (error) => this.lost(`error: ${error.message}`));
    this.worker.on('exit', (code) => this.lost(`exit code ${code}`));
  }

  /** The thread is gone: every call under way fails, and so does every later one. */
  private lost(reason: string): void {
    this.gone ??= new EmbeddedThreadGoneError(reason);
    for (const call of this.pending.values()) call.reject(this.gone);
    this.pending.clear();
  }

  /**
   * The worker keeps the process alive only while a statement is under way, as a socket does: an
   * open database alone does not (PGlite in this thread did not either), but a command waiting
   * for its answer is not cut short.
   */
  private idleUnlessPending(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.gone !== null) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ id, ...message });
    });
  }

  private async runQuery<T>(tx: number, sql: string, params: unknown[] | undefined, options: QueryOptions | undefined): Promise<Results<T>> {
    const parsers = options?.parsers;
    const results = await this.call<Results<T>>({
      op: 'query',
      tx,
      sql,
      params: params ?? [],
      rowMode: options?.rowMode,
      textTypes: parsers === undefined ? undefined : Object.keys(parsers).map(Number),
    });
    return parsed(results, parsers, options?.rowMode);
  }

  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.runQuery<T>(0, sql, params, options);
  }

  exec(sql: string): Promise<Results[]> {
    return this.call({ op: 'exec', tx: 0, sql });
  }

  /**
   * Runs `callback` in a transaction: committed when it resolves, rolled back when it throws or
   * calls `rollback` (PGlite's Transaction). A COMMIT that Postgres answers with ROLLBACK rejects.
   */
  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = await this.call<number>({ op: 'begin' });
    let ending: Promise<void> | null = null;
    const end = (commit: boolean) => (ending ??= this.call<void>({ op: 'end', tx: id, commit }));
    const open = () => {
      if (ending !== null) throw new Error('Transaction is closed');
    };
    const tx = {
      query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) => {
        open();
        return this.runQuery<R>(id, sql, params, options);
      },
      exec: async (sql: string) => {
        open();
        return this.call<Results[]>({ op: 'exec', tx: id, sql });
      },
      rollback: async () => {
        open();
        await end(false);
      },
      get closed() {
        return ending !== null;
      },
    } as unknown as Transaction;
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      await end(false).catch(() => {});
      throw error;
    }
    await end(true);
    return result;
  }

  /** Closes the database (its files are synced) and ends the thread. */
  async close(): Promise<void> {
    if (this.gone === null) await this.call({ op: 'close' });
    this.gone ??= new EmbeddedThreadGoneError('closed');
    await this.worker.terminate();
  }
}
