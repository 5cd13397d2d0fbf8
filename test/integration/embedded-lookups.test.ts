// Lookups on the embedded database (DESIGN.md §9): the registry is its log's only writer, so a
// page it holds is answered from memory — no lookup statement — yet never older than a write
// acknowledged before the request, nor with a checkpoint older than the latest it signed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MapKey } from '../../src/protocol/key-map.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { expectWith } from '../helpers/expect-with.js';
import { registeredPerson, rotate, type Person } from '../helpers/groups.js';
import type { Reply } from '../helpers/http.js';
import { headValue, provenValue, registryCheckpoint, shown } from '../helpers/key-map.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

let database: TestDatabase;
let registry: TestRegistry;
/** Lookup statements (db/chain-lookups.ts: the only one that reads the chains with the latest checkpoint) run so far. */
let lookupStatements = 0;
/** The test database with its lookup statements counted. */
let counted: TestDatabase;
/** The log key's seed, the same for a registry restarted on the database. */
const logSeed = new Uint8Array(randomBytes(32));

/** A registry on the counted database, with a fresh checkpoint of the same size every second, to see lookups follow it. */
const startRegistry = () => startTestRegistry({ database: counted, logSeed, env: { CHECKPOINT_INTERVAL_SECONDS: '1' } });

beforeAll(async () => {
  database = await openTestDatabase({ embedded: true });
  expect(database.db.kind).toBe('embedded');
  counted = {
    ...database,
    db: {
      ...database.db,
      async query<T>(text: string, params?: unknown[]): Promise<T[]> {
        if (text.includes('FROM log_checkpoints') && text.includes('AS chains')) lookupStatements++;
        return database.db.query<T>(text, params);
      },
    },
  };
  registry = await startRegistry();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await registry?.close();
  await database?.close();
}, SETUP_TIMEOUT_MS);

/** A lookup of `person` that must answer 200 with the head the test expects, proven against the checkpoint it carries. */
async function expectCurrentLookup(person: Person): Promise<Reply> {
  const reply = await registry.api.get(`/v1/users/${person.userId}`);
  expectWith(reply.status, reply.text).toBe(200);
  const key: MapKey = { kind: 'user', id: person.userId };
  const head = reply.body.entries.at(-1);
  expect(head.record).toEqual(person.records.at(-1));
  const value = await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, key, reply.body.mapProof);
  expect(shown(value)).toEqual(shown(headValue(head)));
  const checkpoint = await registryCheckpoint(reply.body.checkpoint, registry.service.logKey.noteKey);
  expect([reply.body.proof.index, reply.body.proof.size]).toEqual([head.index, checkpoint.size]);
  return reply;
}

describe('lookups on the embedded database', () => {
  it('a held page is answered without a lookup statement, and shows every write acknowledged before', async () => {
    const ann = await registeredPerson(registry.app, 'ann');
    const first = await expectCurrentLookup(ann);
    const statements = lookupStatements;
    const again = await expectCurrentLookup(ann);
    expect([again.body.entries, again.body.proof, again.body.mapProof]).toEqual([first.body.entries, first.body.proof, first.body.mapProof]);
    expect(lookupStatements).toBe(statements);

    // Another key's write: a new checkpoint; ann's head is the same, so her page is still answered from memory.
    await registeredPerson(registry.app, 'ben');
    const afterBen = await expectCurrentLookup(ann);
    expect(afterBen.body.checkpoint).not.toBe(first.body.checkpoint);
    expect(lookupStatements).toBe(statements);

    // Ann's own write, acknowledged: the very next lookup shows it.
    await rotate(registry.app, ann);
    await expectCurrentLookup(ann);
  });

  it('a restarted registry answers a chain it preloaded without a lookup statement', async () => {
    const dee = await registeredPerson(registry.app, 'dee');
    await rotate(registry.app, dee);
    await registry.close();
    registry = await startRegistry();
    const statements = lookupStatements;
    await expectCurrentLookup(dee);
    expect(lookupStatements).toBe(statements);
  });

  it('a checkpoint re-signed at the same size is the one served, with the proofs of its tree', async () => {
    const cy = await registeredPerson(registry.app, 'cy');
    const before = await expectCurrentLookup(cy);
    const statements = lookupStatements;
    const signedBefore = await registryCheckpoint(before.body.checkpoint, registry.service.logKey.noteKey);
    const fresh = await waitFor(
      async () => {
        const note = (await registry.api.get('/v1/log/checkpoint')).text;
        if ((await registryCheckpoint(note, registry.service.logKey.noteKey)).time === signedBefore.time) throw new Error('no fresh checkpoint yet');
        return note;
      },
      { timeout: 30_000, interval: 200 },
    );
    const after = await expectCurrentLookup(cy);
    // The one just read, or one signed since (the interval is a second).
    const served = await registryCheckpoint(after.body.checkpoint, registry.service.logKey.noteKey);
    expect(served.time).toBeGreaterThanOrEqual((await registryCheckpoint(fresh, registry.service.logKey.noteKey)).time);
    expect(served.size).toBe(signedBefore.size);
    expect([after.body.proof, after.body.mapProof]).toEqual([before.body.proof, before.body.mapProof]);
    expect(lookupStatements).toBe(statements);
  });
});
