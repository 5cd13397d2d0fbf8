// Lookups on the embedded database (DESIGN.md §9): the registry is its log's only writer, so a
// page it holds is answered from memory — no lookup statement — yet never older than a write
// acknowledged before the request, nor with a checkpoint older than the latest it signed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StatementOptions } from '../../src/db/database.js';
import type { MapKey } from '../../src/protocol/key-map.js';
import { createIdentityRecord, generateIdentityKeys, RegistryClient } from '../../src/sdk/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { expectWith } from '../helpers/expect-with.js';
import { asMember, foundGroup, groupUpdate, registeredPerson, rotate, type Person } from '../helpers/groups.js';
import type { Reply } from '../helpers/http.js';
import { registerPageFixtures } from '../helpers/lookup-page.js';
import { headValue, isLookupRound, provenValue, registryCheckpoint, shown } from '../helpers/key-map.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

let database: TestDatabase;
let registry: TestRegistry;
/** Lookup rounds (db/chain-lookups.ts: the only statement that reads the chains with the latest checkpoint) run so far. */
let lookupStatements = 0;
/** The test database with its lookup statements counted. */
let counted: TestDatabase;
/** The log key's seed, the same for a registry restarted on the database. */
const logSeed = new Uint8Array(randomBytes(32));

/** A registry on the counted database, with a fresh checkpoint of the same size every second, to see lookups follow it. */
const startRegistry = (env: Record<string, string> = {}) => startTestRegistry({ database: counted, logSeed, env: { CHECKPOINT_INTERVAL_SECONDS: '1', ...env } });

beforeAll(async () => {
  database = await openTestDatabase({ embedded: true });
  expect(database.db.kind).toBe('embedded');
  counted = {
    ...database,
    db: {
      ...database.db,
      async query<T>(text: string, params?: unknown[], options?: StatementOptions): Promise<T[]> {
        if (isLookupRound(text)) lookupStatements++;
        return database.db.query<T>(text, params, options);
      },
    },
  };
  registry = await startRegistry();
}, SETUP_TIMEOUT_MS);

/** Restarts the registry on the same database, with `env` (none: the suite's). */
async function restart(env: Record<string, string> = {}): Promise<void> {
  await registry.close();
  registry = await startRegistry(env);
}

afterAll(async () => {
  await registry?.close();
  await database?.close();
}, SETUP_TIMEOUT_MS);

/** A lookup of `person` that must answer 200 with the head the test expects, proven against the checkpoint it carries. */
async function expectCurrentLookup(person: Pick<Person, 'userId' | 'records'>): Promise<Reply> {
  const reply = await registry.api.get(`/v1/users/${person.userId}`);
  expectWith(reply.status, reply.text).toBe(200);
  const key: MapKey = { kind: 'user', id: person.userId };
  const head = reply.body.entries.at(-1);
  expect(head.record).toEqual(person.records.at(-1));
  const value = await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, key, reply.body.mapProof);
  expect(shown(value)).toEqual(shown(headValue(head)));
  const checkpoint = await registryCheckpoint(reply.body.checkpoint, registry.service.logKey.noteKey);
  expect([reply.body.proof.index, reply.body.proof.size]).toEqual([head.index, checkpoint.size]);
  // The ETag kept with the answer (http/caching.ts, sendJson) is the one the app's `etag` setting gives the bytes sent.
  expect(reply.headers.get('etag')).toBe(registry.app.get('etag fn')(reply.bytes));
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
    await restart();
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

/** A lookup's body without its checkpoint, which a registry re-signs at the same size every second here. */
const withoutCheckpoint = (body: Record<string, unknown>) => ({ ...body, checkpoint: undefined });

describe('pages the log writer hands over on the embedded database', () => {
  it('a created, a rotated and a revoked chain are answered without a lookup statement, as the database holds them, and verify with the SDK', async () => {
    const { alice, bob, carol } = await registerPageFixtures(registry);
    const eve = await registeredPerson(registry.app, 'eve');
    await rotate(registry.app, eve);
    await rotate(registry.app, eve);
    const gus = await registeredPerson(registry.app, 'gus');
    const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
    const statements = lookupStatements;
    const held = new Map<string, Record<string, unknown>>();
    for (const person of [alice, bob, eve, gus]) {
      await expectCurrentLookup(person);
      const verified = await client.lookup(person.userId);
      expect(verified.entries.map((e) => e.record)).toEqual(person.records);
      held.set(person.userId, (await registry.api.get(`/v1/users/${person.userId}`)).body);
    }
    expect(lookupStatements).toBe(statements);

    // A recovery drops the thief's record from the live chain: its page is read, not made from the held one.
    const recovered = await expectCurrentLookup(carol);
    expect(lookupStatements).toBe(statements + 1);
    expect(recovered.body.entries.map((e: { record: unknown }) => e.record)).toEqual(carol.records);

    // A restarted registry reads the same pages from the database (the log has not moved: the same proofs).
    await restart();
    for (const [userId, body] of held) expect(withoutCheckpoint((await registry.api.get(`/v1/users/${userId}`)).body)).toEqual(withoutCheckpoint(body));
  });

  it('a founded and an updated group are answered without a lookup statement, as the database holds them', async () => {
    const ida = await registeredPerson(registry.app, 'ida');
    const jon = await registeredPerson(registry.app, 'jon');
    const genesis = await foundGroup(ida, 'handed over');
    const founded = await registry.api.post('/v1/groups', genesis);
    expectWith(founded.status, founded.text).toBe(201);
    const update = await groupUpdate(genesis, ida, [asMember(ida, 'founder'), asMember(jon, 'reader')]);
    const updated = await registry.api.post(`/v1/groups/${genesis.groupId}`, update);
    expectWith(updated.status, updated.text).toBe(200);
    const statements = lookupStatements;
    const reply = await registry.api.get(`/v1/groups/${genesis.groupId}`);
    expectWith(reply.status, reply.text).toBe(200);
    expect(reply.body.entries.map((e: { record: unknown }) => e.record)).toEqual([genesis, update]);
    const value = await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, { kind: 'group', id: genesis.groupId }, reply.body.mapProof);
    expect(shown(value)).toEqual(shown(headValue(reply.body.entries.at(-1))));
    expect(lookupStatements).toBe(statements);
    await restart();
    expect(withoutCheckpoint((await registry.api.get(`/v1/groups/${genesis.groupId}`)).body)).toEqual(withoutCheckpoint(reply.body));
  });

  it('a record that does not fit on the held page is left to the next page, as the database cuts it', async () => {
    // A page bound that holds a genesis record but not a second one (the database's cut counts each at its bytes + 100).
    await restart({ PAGE_MAX_BYTES: '1200' });
    const fay = await registeredPerson(registry.app, 'fay');
    await rotate(registry.app, fay);
    const statements = lookupStatements;
    const reply = await registry.api.get(`/v1/users/${fay.userId}`);
    expectWith(reply.status, reply.text).toBe(200);
    expect(lookupStatements).toBe(statements);
    expect(reply.body.entries.map((e: { record: unknown }) => e.record)).toEqual(fay.records.slice(0, 1));
    expect(reply.body.next).toBe(1);
    await restart({ PAGE_MAX_BYTES: '1200' });
    expect(withoutCheckpoint((await registry.api.get(`/v1/users/${fay.userId}`)).body)).toEqual(withoutCheckpoint(reply.body));
    await restart();
  });

  it("an id with no chain is a 404 with the map's proof of its absence, without a lookup statement", async () => {
    const { userId } = await createIdentityRecord(generateIdentityKeys(), { name: 'Nobody' });
    const statements = lookupStatements;
    const reply = await registry.api.get(`/v1/users/${userId}`);
    expectWith(reply.status, reply.text).toBe(404);
    expect(reply.body.code).toBe('NOT_FOUND');
    expect(await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, { kind: 'user', id: userId }, reply.body.mapProof)).toBeNull();
    const latest = await registryCheckpoint((await registry.api.get('/v1/log/checkpoint')).text, registry.service.logKey.noteKey);
    expect((await registryCheckpoint(reply.body.checkpoint, registry.service.logKey.noteKey)).size).toBe(latest.size);
    expect(lookupStatements).toBe(statements);
  });
});
