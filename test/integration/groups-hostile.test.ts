// Hostile input to the group routes (DESIGN.md §1, §6): whatever a client sends, the answer is a
// 4xx problem+json with a stable code — never a 5xx — and a refused write logs nothing.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { GroupRecord } from '../../src/protocol/group.js';
import { withMember } from '../../src/sdk/group-records.js';
import { asMember, foundGroup, groupUpdate, registeredPerson, type Person } from '../helpers/groups.js';
import { api, request } from '../helpers/http.js';
import { expectProblem, expectSomeClientProblem, logSize, type Client } from '../helpers/hostile-http.js';
import { useTestRegistry } from '../helpers/registry.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);

const registry = useTestRegistry();
const client: Client = api(() => registry.app);
let founder: Person;
let group: GroupRecord;
let update: GroupRecord;

beforeAll(async () => {
  founder = await registeredPerson(registry.app, 'Fay');
  const other = await registeredPerson(registry.app, 'Ola');
  group = await foundGroup(founder, 'Hostile');
  expect((await client.post('/v1/groups', group)).status).toBe(201);
  update = await groupUpdate(group, founder, withMember(group.members, asMember(other, 'admin')));
}, 120_000);

type Json = Record<string, unknown>;

/** A valid record with one field (or one member field) replaced by an arbitrary JSON value, or removed. */
function spoiled(record: GroupRecord): fc.Arbitrary<string> {
  const fields = Object.keys(record);
  const memberFields = Object.keys(record.members[0]!);
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('', 'A'.repeat(43), 'A'.repeat(86), '0000000000zzzzzzzzzzzzzzz', -1, 0, 2 ** 53, 1.5, null, [], {}, '\u0000', '\ud800', 'x'.repeat(200)),
  );
  return fc.oneof(
    fc.tuple(fc.constantFrom(...fields), value).map(([field, v]) => JSON.stringify({ ...record, [field]: v })),
    fc.constantFrom(...fields).map((field) => {
      const copy: Json = { ...record };
      delete copy[field];
      return JSON.stringify(copy);
    }),
    fc.tuple(fc.constantFrom(...memberFields), value).map(([field, v]) => JSON.stringify({ ...record, members: [{ ...record.members[0], [field]: v }, ...record.members.slice(1)] })),
    fc.array(fc.constant(record.members[0]), { minLength: 2, maxLength: 3 }).map((members) => JSON.stringify({ ...record, members })),
    fc.string({ maxLength: 200 }),
  );
}

describe('spoiled group records: 4xx, never 5xx, nothing logged', () => {
  for (const [name, path, record] of [
    ['genesis', '/v1/groups', () => group],
    ['update', () => `/v1/groups/${group.groupId}`, () => update],
  ] as const) {
    it(`the ${name} route`, async () => {
      const before = await logSize(client);
      const target = typeof path === 'string' ? path : path();
      await fc.assert(
        fc.asyncProperty(spoiled(record()), async (body) => {
          const reply = await request(registry.app, 'POST', target, body);
          if (reply.status < 300) {
            // Only an unspoiled record can carry a valid signature (e.g. a field set to its own value).
            expect(JSON.parse(body)).toEqual(record());
            return;
          }
          expectSomeClientProblem(reply, `POST ${target} ${body.slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
      expect(await logSize(client)).toBeLessThanOrEqual(before + 1);
    }, Math.max(120_000, RUNS * 100));
  }
});

describe('odd paths', () => {
  it.each([
    ['GET', '/v1/groups/%E0%A4%A'],
    ['GET', '/v1/groups/NOT-A-PEERS-ID'],
    ['GET', '/v1/groups/0000000000AAAAAAAAAAAAAAA'],
    ['GET', '/v1/users/NOT-A-PEERS-ID/groups'],
    ['GET', '/v1/users/%00/groups'],
    ['POST', '/v1/groups/%E0%A4%A'],
    ['POST', '/v1/groups/NOT-A-PEERS-ID'],
  ])('%s %s: 400 MALFORMED', async (method, path) => {
    const before = await logSize(client);
    expectProblem(await request(registry.app, method, path, method === 'POST' ? update : undefined), 400, 'MALFORMED', `${method} ${path}`);
    expect(await logSize(client)).toBe(before);
  });
});
