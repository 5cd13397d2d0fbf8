// SubtreeStore.preload (DESIGN.md §9): at start the stored subtree hashes are read into the cache,
// highest levels first, as many as it holds — so a proof then needs no statement, and a cache too
// small for all of them keeps the highest levels and still gives the same proofs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sql } from '../../src/db/database.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { systemClock } from '../../src/server/clock.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { MapState } from '../../src/server/log/map-state.js';
import { fastGenesis } from '../bench/fast-records.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SETUP_TIMEOUT_MS } from '../helpers/registry.js';

const SIZE = 77;
let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase();
  const writer = new LogWriter(database.db, new SubtreeStore(database.db), await MapState.load(database.db), logKeyFromSeed('test.example/preload', new Uint8Array(32)), systemClock);
  // One write at a time: many batches, so the stored subtrees are those of many appends.
  for (let i = 0; i < SIZE; i++) await writer.append(new Write(identityKind, fastGenesis().head, 'genesis'));
  await writer.stop();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await database?.close();
});

/** The database's driver, counting the statements run through it. */
function counted(): { client: Sql; statements: () => number } {
  let statements = 0;
  const client: Sql = {
    query<T>(text: string, params?: unknown[]): Promise<T[]> {
      statements++;
      return database.db.query<T>(text, params);
    },
  };
  return { client, statements: () => statements };
}

/** Every inclusion proof and a few consistency proofs of the tree of SIZE. */
async function allProofs(store: SubtreeStore): Promise<string[][]> {
  const proofs: string[][] = [];
  for (let index = 0; index < SIZE; index++) proofs.push(await store.inclusionProof(index, SIZE));
  for (const from of [1, 13, 64, SIZE - 1]) proofs.push(await store.consistencyProof(from, SIZE));
  return proofs;
}

describe('preloading subtree hashes', () => {
  it('fills the cache at start: every proof afterwards needs no statement, and is the one read from the database', async () => {
    const expected = await allProofs(new SubtreeStore(database.db));
    const { client, statements } = counted();
    const store = new SubtreeStore(client);
    await store.preload(SIZE);
    const afterPreload = statements();
    expect(await allProofs(store)).toEqual(expected);
    expect(statements()).toBe(afterPreload);
  });

  it('stops when the cache is full, keeping the highest levels; proofs read the rest and stay the same', async () => {
    const expected = await allProofs(new SubtreeStore(database.db));
    const { client, statements } = counted();
    // Room for six levels' arrays (1,024 slots of 33 bytes each at first): levels 6 to 1, not the leaves.
    const store = new SubtreeStore(client, 6 * 1024 * 33);
    await store.preload(SIZE);
    const afterPreload = statements();
    expect(await allProofs(store)).toEqual(expected);
    expect(statements()).toBeGreaterThan(afterPreload);
  });

});
