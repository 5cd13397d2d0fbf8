// Group commit and grouped lookup rounds on the embedded database (issue 19). PGlite runs in this process, and its statements
// settle as microtasks: a log writer's transaction began and committed before the event loop read
// another request, so every batch held one write however many requests were waiting (246 writes/s
// at 32 clients, against 865 on Postgres with the same code). Writes that arrive while a batch is
// under way, each in its own turn of the event loop as HTTP requests do, must share the next batch.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { createIdentityRecord, generateIdentityKeys } from '../../src/sdk/identity-keys.js';
import type { AppendResult, LogWriter } from '../../src/server/log/log-writer.js';
import type { Metrics } from '../../src/server/metrics.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startedLogWriter } from '../helpers/log-writer.js';

let database: TestDatabase;
let writer: LogWriter;
/** The size of each batch the writer committed, in order. */
const batches: number[] = [];
/** The appended counter's increments, by kind. */
const appendedByKind = new Map<string, number>();

beforeAll(async () => {
  database = await openTestDatabase({ embedded: true });
  const count = (labels: { kind: string }, by = 1) => void appendedByKind.set(labels.kind, (appendedByKind.get(labels.kind) ?? 0) + by);
  const metrics = { appended: { inc: count }, batchSize: { observe: (size: number) => void batches.push(size) } } as unknown as Pick<Metrics, 'appended' | 'batchSize'>;
  writer = await startedLogWriter(database.db, logKeyFromSeed('test.example/batching', new Uint8Array(randomBytes(32))), metrics);
}, 120_000);

afterAll(async () => {
  await writer?.stop();
  await database?.close();
}, 120_000);

describe('the log writer on the embedded database', () => {
  it('commits writes that arrive in separate turns of the event loop together', async () => {
    const writes = await Promise.all(Array.from({ length: 5 }, async () => new Write(identityKind, await createIdentityRecord(generateIdentityKeys()), 'genesis')));
    // Each append in a turn of its own, scheduled together: as requests read in one poll of the event loop.
    const appended = await Promise.all(writes.map((write) => new Promise<Promise<AppendResult>>((resolve) => setImmediate(() => resolve(writer.append(write))))));
    const results = await Promise.all(appended);
    expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(5);
    expect(batches.length).toBeLessThan(5);
    // Counted once per kind and batch, by the batch's writes of that kind: every write once.
    expect([...appendedByKind]).toEqual([['identity', 5]]);
  });
});

describe('a statement on the embedded database', () => {
  // The lookup coalescer (server/coalescer.ts) groups the lookups that arrive while a round runs:
  // a round that settles before the event loop reads another request holds one lookup each.
  it('answers after the I/O already waiting when it was sent', async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    await database.db.query('SELECT 1');
    expect(turned).toBe(true);
  });
});
