// Prepared statements (db/database.ts, StatementOptions): each is named after its text and
// prepared once per connection. Lookup rounds of both chain tables, with different page bounds,
// run at once through one pool, so that connections prepare and reuse the same names — as a
// registry's lookups do. On the embedded test server (test/jest/embedded-postgres.ts: one PGlite
// session shared by every connection) the second connection's Parse of a name used to fail with
// `prepared statement "…" already exists`: the names now belong to their connection, as on a server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { readChainLookup, type ChainAsk, type ChainLookup, type ChainTable } from '../../src/db/chain-lookups.js';
import { postgresUrl } from '../helpers/database.js';
import { foundGroup, registeredPerson, rotate, type Person } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let people: Person[];
let groupIds: string[];

beforeAll(async () => {
  registry = await startTestRegistry({ listen: false });
  people = [];
  for (const name of ['ann', 'bob', 'cy']) people.push(await registeredPerson(registry.app, name));
  for (const person of people) await rotate(registry.app, person);
  groupIds = [];
  for (const founder of people.slice(0, 2)) {
    const group = await foundGroup(founder, `${founder.name}’s group`);
    expect((await api(registry.app).post('/v1/groups', group)).status).toBe(201);
    groupIds.push(group.groupId);
  }
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await registry?.close();
}, SETUP_TIMEOUT_MS);

/** A lookup round's arguments. */
interface Round {
  table: ChainTable;
  asks: ChainAsk[];
  bounds: { maxItems: number; maxBytes: number };
}

function rounds(): Round[] {
  const asks = (ids: string[]) => ids.map((id) => ({ id, start: 0, cachedHead: -1 }));
  const all: Round[] = [];
  for (const maxItems of [1, 2, 50]) {
    all.push({ table: 'identities', asks: asks(people.map((p) => p.userId)), bounds: { maxItems, maxBytes: 1 << 20 } });
    all.push({ table: 'groups', asks: asks(groupIds), bounds: { maxItems, maxBytes: 1 << 20 } });
  }
  all.push({ table: 'identities', asks: asks([people[0]!.userId]), bounds: { maxItems: 50, maxBytes: 1 } });
  return all;
}

function shown(lookup: ChainLookup): unknown {
  return [lookup.checkpoint, [...lookup.chains]];
}

describe('prepared statements', () => {
  it('lookup rounds of both tables and different bounds, many at once through one pool, answer as one at a time', async () => {
    const { db } = registry.database;
    const one: unknown[] = [];
    for (const round of rounds()) one.push(shown(await readChainLookup(db, round.table, round.asks, round.bounds)));
    // Each page holds what its bounds allow: the statement is one text, the bounds its parameters.
    expect(one[0]).not.toEqual(one[4]);
    // Several times the pool's connections, in waves, so that each connection prepares and then reuses.
    for (let wave = 0; wave < 3; wave++) {
      const many = await Promise.all(Array.from({ length: 4 }, () => rounds().map((round) => readChainLookup(db, round.table, round.asks, round.bounds))).flat());
      expect(many.map(shown)).toEqual(Array.from({ length: 4 }, () => one).flat());
    }
  });

  it('two connections may prepare one name for two texts: each runs its own, as on a server', async () => {
    const url = postgresUrl();
    expect(url).not.toBeNull();
    const clients = [new pg.Client({ connectionString: url! }), new pg.Client({ connectionString: url! })];
    await Promise.all(clients.map((client) => client.connect()));
    try {
      for (let round = 0; round < 2; round++) {
        const answers = await Promise.all(clients.map((client, i) => client.query({ name: 'peerkeys_test_same_name', text: `SELECT ${i} AS n` })));
        expect(answers.map((answer) => answer.rows[0].n)).toEqual([0, 1]);
      }
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});
