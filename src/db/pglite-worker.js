/**
 * The embedded database's own thread (db/pglite-thread.ts starts it): a PGlite, run by the
 * statements the main thread sends, so that WebAssembly Postgres works on the second core while
 * the main thread answers HTTP and checks signatures (issue 19).
 *
 * Plain JavaScript, copied into dist/ by src/build/bundle.ts: a worker thread is loaded by Node
 * itself, with none of the TypeScript transforms of the build or of Jest, so it imports nothing of
 * ours, only PGlite.
 *
 * Messages in: { id, op: 'query', sql, params, rowMode, textTypes, tx } | { id, op: 'exec', sql, tx }
 * | { id, op: 'begin' } | { id, op: 'end', tx, commit } | { id, op: 'close' }. Each is answered
 * { id, result } or { id, error }. Concurrency is PGlite's own: a statement sent while a
 * transaction is open waits on PGlite's transaction lock until it ends, as it would in one thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** Thrown into an open transaction's callback to have PGlite roll it back. */
const ROLLBACK = Symbol('rollback');

const db = new PGlite({ ...(workerData.dataDir !== undefined ? { dataDir: workerData.dataDir } : {}), startParams: workerData.startParams });
/** Open transactions by id: their PGlite handle and how to end them. */
const transactions = new Map();
let nextTransaction = 1;

/** An error as data: a Postgres error's fields (code, detail, constraint…) survive the crossing. */
function errorData(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const { query: _query, params: _params, queryOptions: _options, ...fields } = error;
  return { ...fields, name: error.name, message: error.message, databaseError: 'severity' in error };
}

/** Where statement `tx` runs: an open transaction, or the database itself (0). */
function sessionOf(tx) {
  if (tx === 0) return db;
  const open = transactions.get(tx);
  if (open === undefined) throw new Error('Transaction is closed');
  return open.tx;
}

/** Parsers that return a column's text: the main thread parses those types with its own functions. */
function textParsers(types) {
  if (types === undefined || types.length === 0) return undefined;
  return Object.fromEntries(types.map((type) => [type, (text) => text]));
}

const operations = {
  async query({ sql, params, rowMode, textTypes, tx }) {
    const parsers = textParsers(textTypes);
    const { rows, fields, affectedRows } = await sessionOf(tx).query(sql, params, { ...(rowMode !== undefined ? { rowMode } : {}), ...(parsers !== undefined ? { parsers } : {}) });
    return { rows, fields, affectedRows };
  },
  async exec({ sql, tx }) {
    return (await sessionOf(tx).exec(sql)).map(({ rows, fields, affectedRows }) => ({ rows, fields, affectedRows }));
  },
  /** Opens a transaction and answers its id once BEGIN has run; it stays open until `end`. */
  begin() {
    return new Promise((opened, failed) => {
      const id = nextTransaction++;
      const open = { tx: undefined, end: undefined, done: undefined };
      const ended = new Promise((commit, rollback) => {
        open.end = { commit, rollback };
      });
      open.done = db.transaction(async (tx) => {
        open.tx = tx;
        transactions.set(id, open);
        opened(id);
        await ended;
      });
      open.done.then(
        () => transactions.delete(id),
        (error) => {
          if (open.tx === undefined) failed(error); // BEGIN itself failed: it never opened
          transactions.delete(id);
        },
      );
    });
  },
  async end({ tx, commit }) {
    const open = transactions.get(tx);
    if (open === undefined) throw new Error('Transaction is closed');
    if (commit) {
      open.end.commit();
      await open.done;
    } else {
      open.end.rollback(ROLLBACK);
      await open.done.catch((error) => {
        if (error !== ROLLBACK) throw error;
      });
    }
  },
  async close() {
    await db.close();
  },
};

parentPort.on('message', (message) => {
  operations[message.op](message).then(
    (result) => parentPort.postMessage({ id: message.id, result }),
    (error) => parentPort.postMessage({ id: message.id, error: errorData(error) }),
  );
});

db.waitReady.then(
  () => parentPort.postMessage({ ready: true }),
  (error) => parentPort.postMessage({ ready: false, error: errorData(error) }),
);
