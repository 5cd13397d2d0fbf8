// openapi.yaml is the contract (STYLE.md): every route documented, every documented route real,
// and every answer the real server gives — successes and problems — as documented.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { parseCheckpointText, parseSignedNote } from '../../src/protocol/checkpoint.js';
import { ERROR_STATUS } from '../../src/protocol/errors.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord, createSuccessorRecord } from '../../src/sdk/records.js';
import type { GroupRecord } from '../../src/protocol/group.js';
import { createGroupGenesis, createGroupUpdate, withMember, withoutMember } from '../../src/sdk/group-records.js';
import { asMember, foundGroup, groupUpdate, registeredPerson, type Person } from '../helpers/groups.js';
import { api, request, type Reply } from '../helpers/http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { Contract, essence, expressRoutes, isErrorCode, normalisedMediaType, OPENAPI_FILE } from '../helpers/openapi-contract.js';
import { startTestRegistry, useTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

const contract = new Contract();
const registry = useTestRegistry();
const client = api(() => registry.app);

/** Every (method path status) the server answered and the contract was checked against. */
const exercised = new Set<string>();


/**
 * Checks one reply against the operation the contract documents for it: the status is documented,
 * the content type is the documented one, the body validates against the documented schema, the
 * documented headers hold, and a problem's `code` is one the response lists for that status.
 */
function expectDocumented(method: string, path: string, reply: Reply, status: number): void {
  const where = `${method.toUpperCase()} ${path} → ${reply.status}`;
  expectWith(reply.status, `${where}: ${reply.text.slice(0, 300)}`).toBe(status);
  const response = contract.response(method, path, status);
  expectWith(response, `${where} is not documented`).toBeDefined();
  exercised.add(`${method} ${path} ${status}`);

  for (const [name, raw] of Object.entries<Record<string, unknown>>(response!['headers'] ?? {})) {
    const header = contract.resolve(raw);
    const value = reply.headers.get(name);
    if (name === 'Cache-Control' || name === 'X-Request-Id' || name === 'ETag' || name === 'Location') expectWith(value, `${where}: header ${name}`).not.toBeNull();
    if (value === null || header['schema'] === undefined) continue;
    const typed = (header['schema'] as { type?: string }).type === 'integer' && /^\d+$/.test(value) ? Number(value) : value;
    expectWith(contract.errors(header['schema'], typed), `${where}: header ${name}: ${value}`).toEqual([]);
  }

  const content = response!['content'] as Record<string, { schema?: unknown }> | undefined;
  if (content === undefined) {
    expectWith(reply.text, `${where}: documented without a body`).toBe('');
    return;
  }
  const actualType = reply.headers.get('content-type') ?? '';
  const documentedType = Object.keys(content).find((key) =>
    key.includes(';') ? normalisedMediaType(key) === normalisedMediaType(actualType) : essence(key) === essence(actualType),
  );
  expectWith(documentedType, `${where}: content type ${actualType} is not one of ${Object.keys(content).join(', ')}`).toBeDefined();
  const schema = content[documentedType!]!.schema;
  const value = essence(actualType).endsWith('json') ? reply.body : reply.text;
  expectWith(contract.errors(schema, value), `${where}: body ${reply.text.slice(0, 300)}`).toEqual([]);

  if (status >= 400) {
    const codes = contract.documentedCodes(response!);
    expectWith(codes, `${where}: code ${reply.body.code} is not listed in the response description`).toContain(reply.body.code);
    expect(reply.body.status).toBe(status);
    expect(reply.body.requestId).toBe(reply.headers.get('x-request-id'));
  }
}

async function register(identity: TestIdentity): Promise<Reply> {
  const reply = await client.post('/v1/users', identity.head);
  expectDocumented('post', '/v1/users', reply, 201);
  return reply;
}

function treeSize(note: string): number {
  return parseCheckpointText(parseSignedNote(note)!.text)!.size;
}

describe('the contract itself', () => {
  it('is OpenAPI 3.1 and every $ref in it resolves', () => {
    expect(contract.spec['openapi']).toMatch(/^3\.1\.\d+$/);
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [key, child] of Object.entries(node)) {
          if (key === '$ref') refs.push(String(child));
          else walk(child);
        }
      }
    };
    walk(contract.spec);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expectWith(contract.pointer(ref), ref).toBeDefined();
  });

  it('compiles every component schema under Ajv strict mode', () => {
    for (const name of Object.keys(contract.spec['components']['schemas'])) {
      expectWith(() => contract.validator({ $ref: `#/components/schemas/${name}` }), name).not.toThrow();
    }
  });

  it('lists exactly the error codes of src/protocol/errors.ts, with their statuses', () => {
    const schemas = contract.spec['components']['schemas'];
    expect([...schemas['ErrorCode'].enum].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
    expect([...schemas['Problem'].properties.status.enum].sort()).toEqual([...new Set(Object.values(ERROR_STATUS))].sort());
  });

  it('names, for every error response of every operation, codes that travel with that status', () => {
    const ids = new Set<string>();
    for (const { method, path, operation } of contract.operations) {
      expectWith(ids.has(operation['operationId']), `duplicate operationId ${operation['operationId']}`).toBe(false);
      ids.add(operation['operationId']);
      for (const status of Object.keys(operation['responses'])) {
        if (Number(status) < 400) continue;
        const codes = contract.documentedCodes(contract.response(method, path, Number(status))!);
        expectWith(codes.length, `${method} ${path} ${status} names no code`).toBeGreaterThan(0);
        for (const code of codes) {
          expectWith(isErrorCode(code), `${method} ${path} ${status}: unknown code ${code}`).toBe(true);
          expectWith(ERROR_STATUS[code as keyof typeof ERROR_STATUS], `${method} ${path}: ${code} is not a ${status}`).toBe(Number(status));
        }
      }
    }
  });
});

describe('routes', () => {
  it('documents every route the Express app registers, and registers every documented one', () => {
    const registered = expressRoutes(registry.service.app.router.stack as unknown[]).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    const documented = contract.operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(registered.length).toBeGreaterThanOrEqual(15);
    expectWith(new Set(registered).size, 'a route is registered twice').toBe(registered.length);
    expect([...registered].sort()).toEqual([...documented].sort());
  });
});

describe('the request schemas', () => {
  const identitySchema = () => contract.resolve(contract.operation('post', '/v1/users')['requestBody'])['content']['application/json'].schema;
  const deviceSchema = () =>
    contract.resolve(contract.operation('put', '/v1/users/{userId}/devices/{deviceId}')['requestBody'])['content']['application/json'].schema;

  it('accept the records the SDK builds', async () => {
    const alice = await newIdentity({ rotationKeys: 5, name: 'Alice 🦊' });
    const update = await nextRecord(alice, { signingKey: generateSigningKeyPair(), name: null });
    alice.records.push(update);
    const revocation = await nextRecord(alice, { status: 'revoked' });
    for (const record of [alice.records[0], update, revocation]) expect(contract.errors(identitySchema(), record)).toEqual([]);
    expect(contract.spec['paths']['/v1/users/{userId}'].post.requestBody).toEqual(contract.spec['paths']['/v1/users'].post.requestBody);

    const minimal = await createDeviceRecord({ userId: alice.userId, addresses: [], signingKey: alice.signing });
    const full = await createDeviceRecord({
      userId: alice.userId,
      addresses: ['https://alice.example:4443', '192.168.1.2:5000', '[fe80::1]:5000'],
      name: 'laptop',
      status: 'revoked',
      expiresAt: formatTimestamp(Date.now() + 86_400_000),
      signingKey: alice.signing,
    });
    for (const record of [minimal, full]) expect(contract.errors(deviceSchema(), record)).toEqual([]);
  });

  it('reject a record with an unknown field, and the shapes the server refuses as INVALID_RECORD', async () => {
    const alice = await newIdentity();
    const genesis = alice.head;
    const update = await nextRecord(alice);
    const device = await createDeviceRecord({ userId: alice.userId, addresses: ['10.0.0.1:5000'], signingKey: alice.signing });
    const refusedIdentities = [
      { ...genesis, extra: true },
      { ...genesis, prev: update.prev }, // seq 0 goes with prev null
      { ...update, prev: null }, // and prev null with seq 0 only
      { ...genesis, status: 'revoked' }, // a genesis is active
      { ...genesis, userId: 'NOT-A-PEERS-ID-0123456789' },
      { ...genesis, publicKey: `${genesis.publicKey}=` }, // padding
      { ...genesis, publicKey: `${genesis.publicKey.slice(0, 42)}B` }, // non-zero trailing bits
      { ...genesis, rotationKeys: [genesis.signer, genesis.signer] },
      { ...genesis, rotationKeys: [] },
      { ...genesis, name: 'x'.repeat(65) },
      { ...genesis, createdAt: '2026-11-24T21:00:00Z' },
      { ...genesis, seq: 0.5 },
    ];
    for (const record of refusedIdentities) expectWith(contract.errors(identitySchema(), record), JSON.stringify(record)).not.toEqual([]);
    const refusedDevices = [
      { ...device, nickname: 'laptop' },
      { ...device, addresses: ['has space:5000'] },
      { ...device, addresses: ['a:1', 'a:1'] },
      { ...device, addresses: Array.from({ length: 17 }, (_, i) => `10.0.0.${i}:5000`) },
      { ...device, sig: device.sig.slice(1) },
    ];
    for (const record of refusedDevices) expectWith(contract.errors(deviceSchema(), record), JSON.stringify(record)).not.toEqual([]);
  });
});

describe('responses match their schemas', () => {
  let alice: TestIdentity;
  let created: Reply;
  let deviceId: string;

  it('registers an identity (201) and updates it (200)', async () => {
    alice = await newIdentity({ rotationKeys: 2, name: 'Alice' });
    created = await register(alice);

    const signing2 = generateSigningKeyPair();
    const update = await nextRecord(alice, { signingKey: signing2 });
    expectDocumented('post', '/v1/users/{userId}', await client.post(`/v1/users/${alice.userId}`, update), 200);
    alice.records.push(update);
    alice.signing = signing2;
  });

  it('looks the identity up, with the ETag of the bytes sent, and answers 304 to a matching If-None-Match', async () => {
    const reply = await client.get(`/v1/users/${alice.userId}`);
    expectDocumented('get', '/v1/users/{userId}', reply, 200);
    expect(reply.body.entries.map((e: { record: unknown }) => e.record)).toEqual(alice.records);
    // A lookup comes with an ETag made where its answer is kept (http/caching.ts, sendJson): the one
    // the app's `etag` setting (app.ts) gives the bytes that went over HTTP.
    expect(reply.headers.get('etag')).toBe(registry.app.get('etag fn')(reply.bytes));
    // fetch adds `Cache-Control: no-cache` to a conditional request unless it has one, and a
    // no-cache request is never answered 304; a client with its own cache sends max-age=0.
    const conditional = { 'if-none-match': reply.headers.get('etag')!, 'cache-control': 'max-age=0' };
    const again = await request(registry.app, 'GET', `/v1/users/${alice.userId}`, undefined, conditional);
    expectDocumented('get', '/v1/users/{userId}', again, 304);
  });

  it('reads the audit history', async () => {
    const reply = await client.get(`/v1/users/${alice.userId}/log`);
    expectDocumented('get', '/v1/users/{userId}/log', reply, 200);
    expect(reply.body.entries.map((e: { record: unknown; nullified: boolean }) => [e.record, e.nullified])).toEqual(alice.records.map((r) => [r, false]));
  });

  it('puts a device (200) and lists it', async () => {
    const device = await createDeviceRecord({
      userId: alice.userId,
      addresses: ['https://alice.example:4443', '192.168.1.2:5000'],
      name: 'laptop',
      expiresAt: formatTimestamp(Date.now() + 86_400_000),
      signingKey: alice.signing,
    });
    deviceId = device.deviceId;
    const put = await client.put(`/v1/users/${alice.userId}/devices/${deviceId}`, device);
    expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', put, 200);
    expect(put.body).toEqual(device);

    const list = await client.get(`/v1/users/${alice.userId}/devices`);
    expectDocumented('get', '/v1/users/{userId}/devices', list, 200);
    expect(list.body.devices).toEqual([device]);
  });

  it('serves the Peers anchor document (200), and 404 for an unknown user', async () => {
    expectDocumented('get', '/peers/v1/{userId}.json', await client.get(`/peers/v1/${alice.userId}.json`), 200);
    expectDocumented('get', '/peers/v1/{userId}.json', await client.get(`/peers/v1/${newPeersId()}.json`), 404);
  });

  describe('groups', () => {
    let founder: Person;
    let admin: Person;
    let writer: Person;
    let group: GroupRecord;
    const signerOf = (person: Person) => ({ userId: person.userId, signingKey: person.signing });
    const groupSchema = () => contract.resolve(contract.operation('post', '/v1/groups')['requestBody'])['content']['application/json'].schema;

    it('creates a group (201), updates it (200), looks it up (200, 304) and lists a member’s groups', async () => {
      [founder, admin, writer] = (await Promise.all(['Fay', 'Ada', 'Will'].map((name) => registeredPerson(registry.app, name)))) as [Person, Person, Person];
      group = await foundGroup(founder, 'Contract club 📜', [asMember(writer, 'writer')]);
      expect(contract.errors(groupSchema(), group)).toEqual([]);
      const created = await client.post('/v1/groups', group);
      expectDocumented('post', '/v1/groups', created, 201);
      expect(created.headers.get('location')).toBe(`/v1/groups/${group.groupId}`);

      const update = await groupUpdate(group, founder, withMember(group.members, asMember(admin, 'admin')));
      expect(contract.errors(groupSchema(), update)).toEqual([]);
      expect(contract.spec['paths']['/v1/groups/{groupId}'].post.requestBody).toEqual(contract.spec['paths']['/v1/groups'].post.requestBody);
      expectDocumented('post', '/v1/groups/{groupId}', await client.post(`/v1/groups/${group.groupId}`, update), 200);
      group = update;

      const bundle = await client.get(`/v1/groups/${group.groupId}`);
      expectDocumented('get', '/v1/groups/{groupId}', bundle, 200);
      expect(bundle.body.members).toEqual(group.members);
      expect(bundle.headers.get('etag')).toBe(registry.app.get('etag fn')(bundle.bytes));
      const conditional = { 'if-none-match': bundle.headers.get('etag')!, 'cache-control': 'max-age=0' };
      expectDocumented('get', '/v1/groups/{groupId}', await request(registry.app, 'GET', `/v1/groups/${group.groupId}`, undefined, conditional), 304);

      const list = await client.get(`/v1/users/${writer.userId}/groups`);
      expectDocumented('get', '/v1/users/{userId}/groups', list, 200);
      expect(list.body.groups).toEqual([{ groupId: group.groupId, name: group.name, role: 'writer', headIndex: bundle.body.proof.index }]);
      expectDocumented('get', '/v1/users/{userId}/groups', await client.get(`/v1/users/${newPeersId()}/groups`), 200);
    });

    it('reject group records the server refuses as INVALID_RECORD', () => {
      const refused = [
        { ...group, extra: true },
        { ...group, seq: 0 }, // seq 0 goes with prev null
        { ...group, name: '' },
        { ...group, name: 'x'.repeat(129) },
        { ...group, members: [{ ...group.members[0], role: 'moderator' }] },
        { ...group, members: [{ ...group.members[0], nickname: 'x' }] },
        { ...group, members: Array.from({ length: 501 }, () => group.members[0]) },
        { ...group, adminId: 'NOPE' },
      ];
      for (const record of refused) expectWith(contract.errors(groupSchema(), record), JSON.stringify(record).slice(0, 200)).not.toEqual([]);
    });

    it('answers the documented problems', async () => {
      const next = await groupUpdate(group, admin, group.members);
      const malformed = await client.get('/v1/groups/NOPE');
      expectDocumented('get', '/v1/groups/{groupId}', malformed, 400);
      expect(malformed.body.code).toBe('MALFORMED');
      expectDocumented('get', '/v1/users/{userId}/groups', await client.get('/v1/users/NOPE/groups'), 400);
      expectDocumented('post', '/v1/groups', await client.post('/v1/groups', '{"type":"group","type":"group"}'), 400);
      const invalid = await client.post('/v1/groups', { ...group, extra: 1 });
      expectDocumented('post', '/v1/groups', invalid, 400);
      expect(invalid.body.code).toBe('INVALID_RECORD');
      const wrongPath = await client.post(`/v1/groups/${newPeersId()}`, next);
      expectDocumented('post', '/v1/groups/{groupId}', wrongPath, 400);
      expect(wrongPath.body.code).toBe('INVALID_RECORD');

      expectDocumented('get', '/v1/groups/{groupId}', await client.get(`/v1/groups/${newPeersId()}`), 404);
      const nowhere = await groupUpdate({ ...group, groupId: newPeersId() }, founder, group.members);
      expectDocumented('post', '/v1/groups/{groupId}', await client.post(`/v1/groups/${nowhere.groupId}`, nowhere), 404);

      const again = await client.post('/v1/groups', (await client.get(`/v1/groups/${group.groupId}`)).body.entries[0].record);
      expectDocumented('post', '/v1/groups', again, 409);
      expect(again.body.code).toBe('ALREADY_EXISTS');
      const winner = await groupUpdate(group, founder, group.members);
      expectDocumented('post', '/v1/groups/{groupId}', await client.post(`/v1/groups/${group.groupId}`, winner), 200);
      const stale = await client.post(`/v1/groups/${group.groupId}`, next);
      expectDocumented('post', '/v1/groups/{groupId}', stale, 409);
      expect(stale.body.code).toBe('PREV_MISMATCH');
      group = winner;

      const big = JSON.stringify({ padding: 'x'.repeat(130 * 1024) });
      expectDocumented('post', '/v1/groups', await client.post('/v1/groups', big), 413);
      expectDocumented('post', '/v1/groups/{groupId}', await client.post(`/v1/groups/${group.groupId}`, big), 413);

      const cases: Array<[string, GroupRecord | Record<string, unknown>, string]> = [
        ['post /v1/groups/{groupId}', await groupUpdate(group, writer, withMember(group.members, asMember(founder, 'founder'))), 'UNAUTHORIZED_SIGNER'],
        ['post /v1/groups/{groupId}', await groupUpdate(group, admin, withoutMember(group.members, founder.userId)), 'FORBIDDEN_ROLE_CHANGE'],
        ['post /v1/groups/{groupId}', { ...(await groupUpdate(group, admin, group.members)), name: 'Forged' }, 'BAD_SIGNATURE'],
        ['post /v1/groups/{groupId}', await createGroupUpdate({ previous: group, signer: signerOf(admin), createdAt: group.createdAt }), 'TIME_ORDER'],
        ['post /v1/groups/{groupId}', (await client.get(`/v1/groups/${group.groupId}`)).body.entries[0].record, 'SEQ_MISMATCH'],
        ['post /v1/groups', await createGroupGenesis({ name: 'Too old', members: [asMember(founder, 'founder')], signer: signerOf(founder), createdAt: formatTimestamp(Date.now() - 10 * 60_000) }), 'CLOCK_SKEW'],
        ['post /v1/groups', await createGroupGenesis({ groupId: newPeersId(), name: 'Unbound id', members: [asMember(founder, 'founder')], signer: signerOf(founder) }), 'ID_NOT_BOUND'],
        ['post /v1/groups', await createGroupGenesis({ name: 'Owner above me', members: [asMember(admin, 'admin'), asMember(writer, 'owner')], signer: signerOf(admin) }), 'FORBIDDEN_ROLE_CHANGE'],
        // Signed (and pinned) with a key that is not the admin's registry key.
        ['post /v1/groups', await createGroupGenesis({ name: 'Other key', members: [{ ...asMember(admin, 'founder'), publicKey: admin.keys.rotation.publicKey }], signer: { userId: admin.userId, signingKey: admin.keys.rotation } }), 'UNAUTHORIZED_SIGNER'],
      ];
      for (const [route, body, code] of cases) {
        const [, path] = route.split(' ');
        const reply = await client.post(path === '/v1/groups' ? path : `/v1/groups/${group.groupId}`, body);
        expectDocumented('post', path!, reply, 422);
        expectWith(reply.body.code, route).toBe(code);
      }
    });
  });

  it('serves registry info, the checkpoint, proofs and entries', async () => {
    expectDocumented('get', '/v1/registry', await client.get('/v1/registry'), 200);

    const checkpoint = await client.get('/v1/log/checkpoint');
    expectDocumented('get', '/v1/log/checkpoint', checkpoint, 200);
    const size = treeSize(checkpoint.text);
    expect(size).toBeGreaterThanOrEqual(2);

    const inclusion = await client.get(`/v1/log/proof/inclusion?index=${created.body.index}&size=${size}`);
    expectDocumented('get', '/v1/log/proof/inclusion', inclusion, 200);
    for (const from of [0, 1, size]) {
      expectDocumented('get', '/v1/log/proof/consistency', await client.get(`/v1/log/proof/consistency?from=${from}&to=${size}`), 200);
    }

    const partial = await client.get('/v1/log/entries?start=0&limit=1000');
    expectDocumented('get', '/v1/log/entries', partial, 200);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=5');
    const full = await client.get('/v1/log/entries?start=0&limit=1');
    expectDocumented('get', '/v1/log/entries', full, 200);
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectDocumented('get', '/v1/log/entries', await client.get(`/v1/log/entries?start=${size}`), 200);
  });

  it('serves the log as tiles (c2sp.org/tlog-tiles)', async () => {
    const size = treeSize((await client.get('/v1/log/checkpoint')).text);
    expect(size).toBeLessThan(256);
    expectDocumented('get', '/v1/log/tile/{level}/{index}', await client.get(`/v1/log/tile/0/000.p/${size}`), 200);
    expectDocumented('get', '/v1/log/tile/entries/{index}', await client.get(`/v1/log/tile/entries/000.p/${size}`), 200);
    expectDocumented('get', '/v1/log/tile/{level}/{index}', await client.get('/v1/log/tile/0/000'), 404);
    expectDocumented('get', '/v1/log/tile/{level}/{index}', await client.get('/v1/log/tile/00/000.p/1'), 404);
    expectDocumented('get', '/v1/log/tile/entries/{index}', await client.get(`/v1/log/tile/entries/000.p/${size + 1}`), 404);
  });

  it('answers the health checks and serves metrics', async () => {
    expectDocumented('get', '/healthz', await client.get('/healthz'), 200);
    expectDocumented('get', '/readyz', await client.get('/readyz'), 200);
    expectDocumented('get', '/metrics', await client.get('/metrics'), 200);
  });

  it('serves the documentation routes', async () => {
    expectDocumented('get', '/openapi.yaml', await client.get('/openapi.yaml'), 200);
    expectDocumented('get', '/docs', await client.get('/docs'), 200);
    expectDocumented('get', '/docs/docs.css', await client.get('/docs/docs.css'), 200);
    expectDocumented('get', '/favicon.ico', await client.get('/favicon.ico'), 200);
  });

  it('serves the lookup page and its assets', async () => {
    expectDocumented('get', '/', await client.get('/'), 200);
    expectDocumented('get', '/u/{userId}', await client.get(`/u/${alice.userId}`), 200);
    expectDocumented('get', '/u/{userId}', await client.get('/u/%E0%A4%A'), 400);
    expectDocumented('get', '/assets/page.js', await client.get('/assets/page.js'), 200);
    expectDocumented('get', '/assets/page.css', await client.get('/assets/page.css'), 200);
  });

  describe('problems', () => {
    it('400: MALFORMED and INVALID_RECORD', async () => {
      const duplicateKeys = await client.post('/v1/users', '{"type":"identity","type":"identity"}');
      expectDocumented('post', '/v1/users', duplicateKeys, 400);
      expect(duplicateKeys.body.code).toBe('MALFORMED');

      const unknownField = await client.post('/v1/users', { ...(await newIdentity()).head, extra: 1 });
      expectDocumented('post', '/v1/users', unknownField, 400);
      expect(unknownField.body.code).toBe('INVALID_RECORD');

      const wrongPath = await client.post(`/v1/users/${newPeersId()}`, await nextRecord(alice));
      expectDocumented('post', '/v1/users/{userId}', wrongPath, 400);
      expect(wrongPath.body.code).toBe('INVALID_RECORD');

      const badId = await client.get('/v1/users/not-a-peers-id');
      expectDocumented('get', '/v1/users/{userId}', badId, 400);
      expect(badId.body.code).toBe('MALFORMED');

      expectDocumented('get', '/v1/users/{userId}/devices', await client.get('/v1/users/NOPE/devices'), 400);
      expectDocumented('get', '/v1/users/{userId}/log', await client.get('/v1/users/NOPE/log'), 400);

      const device = await createDeviceRecord({ userId: alice.userId, addresses: [], signingKey: alice.signing });
      const otherPath = await client.put(`/v1/users/${alice.userId}/devices/${newPeersId()}`, device);
      expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', otherPath, 400);
      expect(otherPath.body.code).toBe('INVALID_RECORD');

      expectDocumented('get', '/v1/log/proof/inclusion', await client.get('/v1/log/proof/inclusion?index=3&size=3'), 400);
      expectDocumented('get', '/v1/log/proof/inclusion', await client.get('/v1/log/proof/inclusion?index=01&size=3'), 400);
      expectDocumented('get', '/v1/log/proof/consistency', await client.get('/v1/log/proof/consistency?from=2&to=1'), 400);
      expectDocumented('get', '/v1/log/entries', await client.get('/v1/log/entries'), 400);
      expectDocumented('get', '/v1/log/entries', await client.get('/v1/log/entries?start=0&limit=1001'), 400);
      expectDocumented('get', '/v1/log/entries', await client.get('/v1/log/entries?start=0&start=1'), 400);
    });

    it('404: NOT_FOUND', async () => {
      const nobody = newPeersId();
      expectDocumented('get', '/v1/users/{userId}', await client.get(`/v1/users/${nobody}`), 404);
      expectDocumented('get', '/v1/users/{userId}/devices', await client.get(`/v1/users/${nobody}/devices`), 404);
      expectDocumented('get', '/v1/users/{userId}/log', await client.get(`/v1/users/${nobody}/log`), 404);

      const stranger = await newIdentity(); // never registered
      const successor = await nextRecord(stranger);
      expectDocumented('post', '/v1/users/{userId}', await client.post(`/v1/users/${stranger.userId}`, successor), 404);
      const device = await createDeviceRecord({ userId: stranger.userId, addresses: [], signingKey: stranger.signing });
      expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', await client.put(`/v1/users/${stranger.userId}/devices/${device.deviceId}`, device), 404);

      const size = treeSize((await client.get('/v1/log/checkpoint')).text);
      expectDocumented('get', '/v1/log/proof/inclusion', await client.get(`/v1/log/proof/inclusion?index=0&size=${size + 1}`), 404);
      expectDocumented('get', '/v1/log/proof/consistency', await client.get(`/v1/log/proof/consistency?from=1&to=${size + 1}`), 404);

      // A path no route matches: not an operation, but the same problem shape.
      const nowhere = await client.get('/v1/nowhere');
      expect(nowhere.status).toBe(404);
      expect(contract.errors('Problem', nowhere.body)).toEqual([]);
    });

    it('409: ALREADY_EXISTS, PREV_MISMATCH, STALE_DEVICE and REVOKED', async () => {
      const again = await client.post('/v1/users', alice.records[0]);
      expectDocumented('post', '/v1/users', again, 409);
      expect(again.body.code).toBe('ALREADY_EXISTS');

      // A fork from the genesis, signed by the same key that signed the accepted update: not a recovery.
      const fork = await createSuccessorRecord({ previous: alice.records[0]!, signingKey: alice.signing, signer: alice.rotation[1]! });
      const moved = await client.post(`/v1/users/${alice.userId}`, fork);
      expectDocumented('post', '/v1/users/{userId}', moved, 409);
      expect(moved.body.code).toBe('PREV_MISMATCH');

      const list = await client.get(`/v1/users/${alice.userId}/devices`);
      const stale = await client.put(`/v1/users/${alice.userId}/devices/${deviceId}`, list.body.devices[0]);
      expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', stale, 409);
      expect(stale.body.code).toBe('STALE_DEVICE');

      const bob = await newIdentity();
      await register(bob);
      const revocation = await nextRecord(bob, { status: 'revoked' });
      expectDocumented('post', '/v1/users/{userId}', await client.post(`/v1/users/${bob.userId}`, revocation), 200);
      bob.records.push(revocation);
      const afterRevocation = await client.post(`/v1/users/${bob.userId}`, await nextRecord(bob));
      expectDocumented('post', '/v1/users/{userId}', afterRevocation, 409);
      expect(afterRevocation.body.code).toBe('REVOKED');
      const device = await createDeviceRecord({ userId: bob.userId, addresses: [], signingKey: bob.signing });
      const revokedDevice = await client.put(`/v1/users/${bob.userId}/devices/${device.deviceId}`, device);
      expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', revokedDevice, 409);
      expect(revokedDevice.body.code).toBe('REVOKED');
    });

    it('413: PAYLOAD_TOO_LARGE', async () => {
      const big = JSON.stringify({ padding: 'x'.repeat(130 * 1024) });
      expectDocumented('post', '/v1/users', await client.post('/v1/users', big), 413);
      expectDocumented('post', '/v1/users/{userId}', await client.post(`/v1/users/${alice.userId}`, big), 413);
      expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', await client.put(`/v1/users/${alice.userId}/devices/${deviceId}`, big), 413);
    });

    it('422: BAD_SIGNATURE, CLOCK_SKEW, SEQ_MISMATCH, TIME_ORDER and UNAUTHORIZED_SIGNER', async () => {
      const carol = await newIdentity({ name: 'Carol' });
      const tampered = await client.post('/v1/users', { ...carol.head, name: 'Mallory' });
      expectDocumented('post', '/v1/users', tampered, 422);
      expect(tampered.body.code).toBe('BAD_SIGNATURE');

      const old = await newIdentity({ createdAt: formatTimestamp(Date.now() - 10 * 60_000) });
      const skewed = await client.post('/v1/users', old.head);
      expectDocumented('post', '/v1/users', skewed, 422);
      expect(skewed.body.code).toBe('CLOCK_SKEW');

      const unbound = await client.post('/v1/users', (await newIdentity({ userId: newPeersId() })).head);
      expectDocumented('post', '/v1/users', unbound, 422);
      expect(unbound.body.code).toBe('ID_NOT_BOUND');

      const genesisToUpdate = await client.post(`/v1/users/${carol.userId}`, carol.head);
      expectDocumented('post', '/v1/users/{userId}', genesisToUpdate, 422);
      expect(genesisToUpdate.body.code).toBe('SEQ_MISMATCH');

      const sameTime = await nextRecord(alice, { createdAt: alice.head.createdAt });
      const timeOrder = await client.post(`/v1/users/${alice.userId}`, sameTime);
      expectDocumented('post', '/v1/users/{userId}', timeOrder, 422);
      expect(timeOrder.body.code).toBe('TIME_ORDER');

      // Signed correctly, but by a rotation key instead of the user's current signing key.
      const wrongSigner = await createDeviceRecord({ userId: alice.userId, deviceId, addresses: [], signingKey: alice.rotation[0]! });
      const unauthorized = await client.put(`/v1/users/${alice.userId}/devices/${deviceId}`, wrongSigner);
      expectDocumented('put', '/v1/users/{userId}/devices/{deviceId}', unauthorized, 422);
      expect(unauthorized.body.code).toBe('UNAUTHORIZED_SIGNER');
    });

    it('429: RATE_LIMITED with the RateLimit headers, from a second registry on the same database', async () => {
      const limited = await startTestRegistry({ listen: false, database: registry.database, logSeed: registry.logSeed, env: { RATE_LIMITS: 'on', RATE_LIMIT_IP_READS: '2/1m' } });
      try {
        const limitedClient = limited.api;
        const first = await limitedClient.get('/v1/registry');
        expectDocumented('get', '/v1/registry', first, 200);
        expect(first.headers.get('ratelimit')).toMatch(/^"ip-reads-2-in-60s"; r=1; t=\d+$/);
        await limitedClient.get('/v1/registry');
        const refused = await limitedClient.get('/v1/registry');
        expectDocumented('get', '/v1/registry', refused, 429);
        expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(refused.headers.get('ratelimit-policy')).toMatch(/^"ip-reads-2-in-60s"; q=2; w=60; /);
        // Health checks and documentation are not rate limited.
        expectDocumented('get', '/healthz', await limitedClient.get('/healthz'), 200);
        expectDocumented('get', '/docs', await limitedClient.get('/docs'), 200);
      } finally {
        await limited.close();
      }
    });
  });

  it('exercised every documented operation with a success', () => {
    for (const { method, path, operation } of contract.operations) {
      const success = Object.keys(operation['responses']).find((status) => status.startsWith('2'))!;
      expectWith(exercised.has(`${method} ${path} ${success}`), `${method.toUpperCase()} ${path} ${success} never checked`).toBe(true);
    }
  });
});

describe('the documentation routes', () => {
  it('serve openapi.yaml as YAML, byte for byte the file', async () => {
    const reply = await client.get('/openapi.yaml');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(reply.text).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
    expect((parse(reply.text) as { openapi: string }).openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('render /docs as HTML naming every operation, within the CSP', async () => {
    const reply = await client.get('/docs');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = reply.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    const html = reply.text;
    for (const { method, path } of contract.operations) {
      expect(html).toContain(`<code class="path">${path}</code>`);
      expect(html).toContain(`>${method.toUpperCase()}</span>`);
    }
    for (const name of Object.keys(contract.spec['components']['schemas'])) expect(html).toContain(`id="schema-${name}"`);
    // No script of any kind, no inline style, no third-party origin: the stylesheet is our own.
    expect(html).not.toMatch(/<script|\son[a-z]+=|<style|\sstyle=|javascript:/i);
    expect([...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]).filter((url) => !url!.startsWith('#') && !url!.startsWith('/'))).toEqual([]);
    expect(html).toContain('<link rel="stylesheet" href="/docs/docs.css">');
    const css = await client.get('/docs/docs.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Text from the contract is escaped, never markup: the description's quotes and angle brackets.
    expect(html).toContain('&lt;origin&gt;');
    expect(html).not.toContain('<origin>');
  });
});
