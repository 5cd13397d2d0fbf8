// Issue 13, part 2: no answer grows with what one identity can publish. Every list the API serves
// is cut into pages by bytes as well as by count, always holds its first item, and says where it
// goes on with `next` (DESIGN.md §6, "Pages"); every client of those lists — the SDK, the CLI, the
// mirror — follows `next`, so none of them sees part of a list and takes it for all of it.
//
// The registry here has a page budget of 2 KiB: an identity record (about 800 bytes) is two to a
// page, a group of twenty members (about 4 KB) is a page by itself. A second registry on the same
// database, with the default budget of 256 KiB, gives each list whole, to compare with.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeviceRecord } from '../../src/protocol/device.js';
import type { GroupRecord } from '../../src/protocol/group.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { recordHash } from '../../src/protocol/signing.js';
import { RegistryClient } from '../../src/sdk/client.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord, createSuccessorRecord } from '../../src/sdk/records.js';
import { fastMembers } from '../bench/fast-records.js';
import { cleanEnv, peerkeys } from '../helpers/cli.js';
import { expectWith } from '../helpers/expect-with.js';
import { foundGroup, groupUpdate, registeredPerson, type Person } from '../helpers/groups.js';
import { expectProblem } from '../helpers/hostile-http.js';
import { api, type Reply } from '../helpers/http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { startTestMirror, type TestMirror } from '../helpers/mirror.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const BUDGET = 2048;

let registry: TestRegistry;
/** The same database, served with the default page budget: every list here fits one page. */
let whole: TestRegistry;
let vkey: string;
/** Six records: a genesis and five rotations. */
let alice: TestIdentity;
let aliceDevices: DeviceRecord[];
let fay: Person;
/** Twenty-one members: one record is larger than a page. */
let big: GroupRecord;
/** Six small records. */
let chain: GroupRecord[];
/** The groups that list alice. */
let aliceGroups: string[];

/** What one page of a list carries: its items, the bytes of their JSON, and `next`. */
interface Seen {
  reply: Reply;
  items: unknown[];
  bytes: number;
  next: string | number | undefined;
}

const itemBytes = (items: unknown[]) => items.reduce<number>((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0);

/** Every page of `path`'s list, following `next`, each checked against the rules of DESIGN.md §6. */
async function walk(target: TestRegistry, path: string, list: string): Promise<Seen[]> {
  const pages: Seen[] = [];
  let next: string | number | undefined;
  do {
    const start = `start=${encodeURIComponent(String(next))}`;
    const url = next === undefined ? path : /[?&]start=/.test(path) ? path.replace(/start=[^&]*/, start) : `${path}${path.includes('?') ? '&' : '?'}${start}`;
    const reply = await target.api.get(url);
    expectWith(reply.status, `${url}: ${reply.text.slice(0, 200)}`).toBe(200);
    const items = reply.body[list] as unknown[];
    const seen = { reply, items, bytes: itemBytes(items), next: reply.body.next as string | number | undefined };
    expectWith(seen.bytes <= BUDGET || items.length === 1, `${url}: ${items.length} items of ${seen.bytes} bytes`).toBe(true);
    if (seen.next !== undefined) expectWith(items.length, `${url} says next=${seen.next}`).toBeGreaterThan(0);
    pages.push(seen);
    next = seen.next;
    expect(pages.length).toBeLessThan(200);
  } while (next !== undefined);
  return pages;
}

/** The list as the registry with the default budget serves it: in one page (up to 1000 items). */
async function wholeList(path: string, list: string): Promise<unknown[]> {
  const reply = await whole.api.get(path);
  expect(reply.status).toBe(200);
  expect(reply.body.next).toBeUndefined();
  return reply.body[list] as unknown[];
}

beforeAll(async () => {
  registry = await startTestRegistry({ env: { PAGE_MAX_BYTES: String(BUDGET) } });
  whole = await startTestRegistry({ database: registry.database, logSeed: registry.logSeed, listen: false });
  vkey = registry.service.logKey.vkey;
  const client = registry.api;

  alice = await newIdentity({ name: 'Alice' });
  expect((await client.post('/v1/users', alice.head)).status).toBe(201);
  for (let i = 0; i < 5; i++) {
    const signing = generateSigningKeyPair();
    const record = await nextRecord(alice, { signingKey: signing });
    expectWith((await client.post(`/v1/users/${alice.userId}`, record)).status, `rotation ${i}`).toBe(200);
    alice.records.push(record);
    alice.signing = signing;
  }
  aliceDevices = [];
  for (let i = 0; i < 7; i++) {
    const device = await createDeviceRecord({ userId: alice.userId, name: `device ${i}`, addresses: [`https://device-${i}.example:8443`, `192.168.1.${i}:5000`], signingKey: alice.signing });
    expectWith((await client.put(`/v1/users/${alice.userId}/devices/${device.deviceId}`, device)).status, `device ${i}`).toBe(200);
    aliceDevices.push(device);
  }

  fay = await registeredPerson(registry.app, 'Fay');
  const aliceAsMember = { userId: alice.userId, publicKey: alice.signing.publicKey, publicBoxKey: alice.box.publicKey, role: 'reader' as const };
  big = await foundGroup(fay, 'Big', [aliceAsMember, ...fastMembers(20)]);
  expect((await client.post('/v1/groups', big)).status).toBe(201);
  chain = [await foundGroup(fay, 'Chain', [aliceAsMember])];
  expect((await client.post('/v1/groups', chain[0])).status).toBe(201);
  for (let i = 0; i < 5; i++) {
    const update = await groupUpdate(chain[i]!, fay, chain[i]!.members);
    expectWith((await client.post(`/v1/groups/${chain[0]!.groupId}`, update)).status, `update ${i}`).toBe(200);
    chain.push(update);
  }
  aliceGroups = [big.groupId, chain[0]!.groupId];
  for (let i = 0; i < 25; i++) {
    const group = await foundGroup(fay, `Group ${i}`, [{ ...aliceAsMember, role: 'writer' }]);
    expectWith((await client.post('/v1/groups', group)).status, `group ${i}`).toBe(201);
    aliceGroups.push(group.groupId);
  }
  aliceGroups.sort();
}, 300_000);

afterAll(async () => {
  await whole?.close();
  await registry?.close();
}, 120_000);

describe('every list is cut by bytes, always holds an item, and following next gives all of it', () => {
  it('GET /v1/log/entries: pages of at most the budget, a larger entry alone, immutable only when the log goes on', async () => {
    const pages = await walk(registry, '/v1/log/entries?start=0&limit=1000', 'entries');
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flatMap((p) => p.items)).toEqual(await wholeList('/v1/log/entries?start=0&limit=1000', 'entries'));
    pages.forEach((page, i) => {
      const first = (page.items[0] as { index: number }).index;
      expect(page.next).toBe(i === pages.length - 1 ? undefined : first + page.items.length);
      expect(page.reply.headers.get('cache-control')).toBe(page.next === undefined ? 'public, max-age=5' : 'public, max-age=31536000, immutable');
    });
    // The big group's genesis alone is over the budget: it is served, alone, and the log goes on.
    const alone = pages.find((p) => (p.items[0] as { record: { groupId?: string } }).record.groupId === big.groupId)!;
    expect(alone.items).toHaveLength(1);
    expect(alone.bytes).toBeGreaterThan(BUDGET);
    expect(alone.next).toBeDefined();
    // Counted by `limit` as before; and past the end, an empty last page.
    const limited = await registry.api.get('/v1/log/entries?start=0&limit=1');
    expect(limited.body.entries).toHaveLength(1);
    expect(limited.body.next).toBe(1);
    const end = await registry.api.get('/v1/log/entries?start=100000');
    expect(end.body).toEqual({ entries: [] });
  });

  it('GET /v1/users/{userId}: the chain in pages, each with the head’s summary, proof and checkpoint', async () => {
    const pages = await walk(registry, `/v1/users/${alice.userId}`, 'entries');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const entries = pages.flatMap((p) => p.items) as Array<{ record: IdentityRecord }>;
    expect(entries.map((e) => e.record)).toEqual(alice.records);
    expect(entries).toEqual(await wholeList(`/v1/users/${alice.userId}`, 'entries'));
    for (const page of pages) {
      const { entries: _entries, next: _next, ...rest } = page.reply.body;
      const { entries: _all, ...wholeRest } = (await whole.api.get(`/v1/users/${alice.userId}`)).body;
      expect(rest).toEqual(wholeRest);
    }
    expect((await registry.api.get(`/v1/users/${alice.userId}?start=100`)).body.entries).toEqual([]);
  });

  it('GET /v1/users/{userId}: a page cached before the head moved is not served after it', async () => {
    const bea = await newIdentity({ name: 'Bea' });
    expect((await registry.api.post('/v1/users', bea.head)).status).toBe(201);
    for (let round = 0; round < 4; round++) {
      // Every page is read (and cached) at this head; then the head moves.
      const pages = await walk(registry, `/v1/users/${bea.userId}`, 'entries');
      expect((pages.flatMap((p) => p.items) as Array<{ record: IdentityRecord }>).map((e) => e.record)).toEqual(bea.records);
      const record = await nextRecord(bea);
      expect((await registry.api.post(`/v1/users/${bea.userId}`, record)).status).toBe(200);
      bea.records.push(record);
    }
    const pages = await walk(registry, `/v1/users/${bea.userId}`, 'entries');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect((pages.flatMap((p) => p.items) as Array<{ record: IdentityRecord }>).map((e) => e.record)).toEqual(bea.records);
  });

  it('GET /v1/users/{userId}/log: the audit history in pages, by log index', async () => {
    const pages = await walk(registry, `/v1/users/${alice.userId}/log`, 'entries');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const entries = pages.flatMap((p) => p.items) as Array<{ index: number; record: IdentityRecord }>;
    expect(entries.map((e) => e.record)).toEqual(alice.records);
    expect(entries).toEqual(await wholeList(`/v1/users/${alice.userId}/log`, 'entries'));
    for (const page of pages.slice(0, -1)) expect(page.next).toBeGreaterThan((page.items.at(-1) as { index: number }).index);
    expect((await registry.api.get(`/v1/users/${alice.userId}/log?start=100000`)).body).toEqual({ userId: alice.userId, entries: [] });
  });

  it('GET /v1/users/{userId}/devices: the devices in pages, by deviceId', async () => {
    const pages = await walk(registry, `/v1/users/${alice.userId}/devices`, 'devices');
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const devices = pages.flatMap((p) => p.items);
    expect(devices).toEqual([...aliceDevices].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1)));
    expect(devices).toEqual(await wholeList(`/v1/users/${alice.userId}/devices`, 'devices'));
  });

  it('GET /v1/users/{userId}/groups: the groups in pages, by groupId', async () => {
    const pages = await walk(registry, `/v1/users/${alice.userId}/groups`, 'groups');
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const groups = pages.flatMap((p) => p.items) as Array<{ groupId: string }>;
    expect(groups.map((g) => g.groupId)).toEqual(aliceGroups);
    expect(groups).toEqual(await wholeList(`/v1/users/${alice.userId}/groups`, 'groups'));
  });

  it('GET /v1/groups/{groupId}: a chain in pages; a record larger than the budget on a page of its own', async () => {
    const pages = await walk(registry, `/v1/groups/${chain[0]!.groupId}`, 'entries');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect((pages.flatMap((p) => p.items) as Array<{ record: GroupRecord }>).map((e) => e.record)).toEqual(chain);
    expect(pages.flatMap((p) => p.items)).toEqual(await wholeList(`/v1/groups/${chain[0]!.groupId}`, 'entries'));

    const [alone] = await walk(registry, `/v1/groups/${big.groupId}`, 'entries');
    expect(alone!.items).toHaveLength(1);
    expect(alone!.bytes).toBeGreaterThan(BUDGET);
    expect(alone!.next).toBeUndefined();
  });

  it('refuses a start that is not one value of the list’s kind with 400 MALFORMED, and answers any other', async () => {
    for (const path of [
      `/v1/users/${alice.userId}?start=-1`,
      `/v1/users/${alice.userId}?start=1&start=2`,
      `/v1/users/${alice.userId}/log?start=01`,
      `/v1/users/${alice.userId}/devices?start=abc`,
      `/v1/users/${alice.userId}/groups?start=${'A'.repeat(25)}`,
      `/v1/groups/${big.groupId}?start=x`,
    ]) {
      expectProblem(await registry.api.get(path), 400, 'MALFORMED', path);
    }
    // The largest start there is: an empty page, not a fault.
    for (const [path, list] of [
      [`/v1/users/${alice.userId}`, 'entries'],
      [`/v1/groups/${big.groupId}`, 'entries'],
      [`/v1/users/${alice.userId}/log`, 'entries'],
      ['/v1/log/entries', 'entries'],
    ] as const) {
      const reply = await registry.api.get(`${path}?start=9007199254740991`);
      expectWith(reply.status, `${path}: ${reply.text.slice(0, 200)}`).toBe(200);
      expect(reply.body[list]).toEqual([]);
    }
    // Past the end of an existing history is an empty page; a history nobody has is still 404.
    expectProblem(await registry.api.get(`/v1/users/${newPeersId()}/log?start=5`), 404, 'NOT_FOUND');
  });
});

describe('clients follow next', () => {
  const sdk = () => new RegistryClient({ url: registry.url, vkey });

  it('the SDK: lookups, histories, devices, groups and a user’s groups, whole and verified', async () => {
    const client = sdk();
    const identity = await client.lookup(alice.userId);
    expect(identity.entries.map((e) => e.record)).toEqual(alice.records);
    expect(identity.head.hash).toBe(recordHash(alice.head));
    expect((await client.history(alice.userId)).entries.map((e) => e.record)).toEqual(alice.records);
    expect((await client.devices(alice.userId)).map((d) => d.deviceId).sort()).toEqual(aliceDevices.map((d) => d.deviceId).sort());
    expect((await client.group(chain[0]!.groupId)).entries.map((e) => e.record)).toEqual(chain);
    expect((await client.group(big.groupId)).members).toHaveLength(22);
    expect((await client.groupsOf(alice.userId)).map((g) => g.group.groupId).sort()).toEqual(aliceGroups);
  }, 120_000);

  it('the SDK starts a chain again when a recovery lands between its pages', async () => {
    const rita = await newIdentity({ name: 'Rita' });
    expect((await registry.api.post('/v1/users', rita.head)).status).toBe(201);
    for (let i = 0; i < 4; i++) {
      const record = await nextRecord(rita);
      expect((await registry.api.post(`/v1/users/${rita.userId}`, record)).status).toBe(200);
      rita.records.push(record);
    }
    // Records 1 to 4 overruled by the strongest rotation key: the live chain becomes the genesis and this.
    const recovery = await createSuccessorRecord({ previous: rita.records[0]!, signingKey: generateSigningKeyPair(), signer: rita.rotation[0]! });
    const firstPages: string[] = [];
    let recovered = false;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith(`/v1/users/${rita.userId}`)) firstPages.push(url);
      if (url.includes(`/v1/users/${rita.userId}?start=`) && !recovered) {
        recovered = true;
        expect((await registry.api.post(`/v1/users/${rita.userId}`, recovery)).status).toBe(200);
      }
      return globalThis.fetch(input, init);
    };
    const identity = await new RegistryClient({ url: registry.url, vkey, fetch }).lookup(rita.userId);
    expect(recovered).toBe(true);
    expect(firstPages).toHaveLength(2);
    expect(identity.entries.map((e) => e.record)).toEqual([rita.records[0], recovery]);
  }, 120_000);

  it('the CLI: `log entries` gathers --limit entries across pages', async () => {
    const env = cleanEnv({ PEERKEYS_REGISTRY: registry.url, PEERKEYS_VKEY: vkey });
    const run = await peerkeys(['log', 'entries', '--start', '0', '--limit', '40', '--json'], { cwd: process.cwd(), env });
    expectWith(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as { entries: unknown[]; next?: number };
    const log = await wholeList('/v1/log/entries?start=0&limit=1000', 'entries');
    expect(log.length).toBeGreaterThan(40);
    expect(printed).toEqual({ entries: log.slice(0, 40), next: 40 });
    // What it took more than one page to gather.
    expect((await registry.api.get('/v1/log/entries?start=0&limit=40')).body.entries.length).toBeLessThan(40);
  }, 120_000);

  describe('the mirror', () => {
    let mirror: TestMirror;
    beforeAll(async () => {
      mirror = await startTestMirror(registry.url, vkey, { devicesPerRound: 100 });
    }, 120_000);
    afterAll(async () => {
      await mirror?.close();
    }, 120_000);

    it('copies the whole log and every device across the registry’s pages', async () => {
      expect(await mirror.follower.round()).toMatchObject({ status: 'advanced' });
      const mirrored = api(mirror.url);
      const size = (await wholeList('/v1/log/entries?start=0&limit=1000', 'entries')).length;
      const copy = await mirrored.get('/v1/log/entries?start=0&limit=1000');
      expect(copy.body.entries).toEqual(await wholeList('/v1/log/entries?start=0&limit=1000', 'entries'));
      expect(copy.body.entries).toHaveLength(size);
      const devices = await mirrored.get(`/v1/users/${alice.userId}/devices`);
      expect(devices.body.devices).toEqual(await wholeList(`/v1/users/${alice.userId}/devices`, 'devices'));
      expect(devices.body.devices).toHaveLength(aliceDevices.length);
    }, 120_000);
  });
});
