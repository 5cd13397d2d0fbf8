// RegistryClient's use of the key map, against a hand-made registry (test/helpers/mini-log.ts
// served through the client's `fetch` option): how a 404, an old checkpoint, a second map of one
// log size, an incomplete history and a head its owner did not make reach the caller.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { recordHash } from '../../src/protocol/signing.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { CheckpointError, MemoryStore, NotFoundError, RegistryClient, monitor } from '../../src/sdk/index.js';
import { expectVerification } from '../helpers/errors.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { MiniLog } from '../helpers/mini-log.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';

let log: MiniLog;
let alice: TestIdentity;

beforeAll(async () => {
  log = new MiniLog();
  alice = await newIdentity({ name: 'Alice' });
  log.append(alice.head);
  alice.records.push(await nextRecord(alice));
  log.append(alice.head);
});

type Tamper = Parameters<MiniLog['fetch']>[0];
const client = (options: { tamper?: Tamper; now?: () => number; store?: MemoryStore } = {}) =>
  new RegistryClient({ url: 'https://registry.test', vkey: log.vkey, verify: naclVerify, fetch: log.fetch(options.tamper), now: options.now ?? (() => log.time), ...(options.store ? { store: options.store } : {}) });

describe('404s', () => {
  it('a proven absence is a NotFoundError carrying its checkpoint', async () => {
    const error = await client().lookup(newPeersId()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).checkpoint.size).toBe(2);
  });

  it('a 404 for an identity that exists, without a proof or with its own proof: UNVERIFIED_ABSENCE', async () => {
    const bare: Tamper = (path, answer) => (path === `/v1/users/${alice.userId}` ? { status: 404, body: { status: 404, code: 'NOT_FOUND' } } : answer);
    await expectVerification(client({ tamper: bare }).lookup(alice.userId), 'UNVERIFIED_ABSENCE');
    const proof = await log.notFound({ kind: 'user', id: alice.userId }); // proves presence
    await expectVerification(client({ tamper: (path, answer) => (path === `/v1/users/${alice.userId}` ? { status: 404, body: proof } : answer) }).lookup(alice.userId), 'UNVERIFIED_ABSENCE');
  });

  it('an absence proven at a checkpoint older than one seen: STALE_ANSWER', async () => {
    const store = new MemoryStore();
    await client({ store }).checkpoint(); // sees the checkpoint of 2 entries, not Alice
    const old = await log.notFound({ kind: 'user', id: alice.userId }, 0);
    await expectVerification(client({ store, tamper: (path, answer) => (path === `/v1/users/${alice.userId}` ? { status: 404, body: old } : answer) }).lookup(alice.userId), 'STALE_ANSWER');
  });

  it('an absence of an identity this client saw, at an older checkpoint: STALE_ANSWER', async () => {
    const store = new MemoryStore();
    await client({ store }).lookup(alice.userId); // sees Alice's head at index 1
    const old = await log.notFound({ kind: 'user', id: alice.userId }, 0);
    await expectVerification(client({ store, tamper: (path, answer) => (path === `/v1/users/${alice.userId}` ? { status: 404, body: old } : answer) }).lookup(alice.userId), 'STALE_ANSWER');
  });
});

describe('checkpoints', () => {
  it('older than maxCheckpointAgeMs: STALE_CHECKPOINT; ahead by more than 5 minutes: FUTURE_TIME', async () => {
    await expectVerification(client({ now: () => log.time + 10 * 60_000 + 1 }).lookup(alice.userId), 'STALE_CHECKPOINT');
    const error = await client({ now: () => log.time - 5 * 60_000 - 1 }).lookup(alice.userId).catch((e: unknown) => e);
    expect((error as CheckpointError).reason).toBe('FUTURE_TIME');
    expect((await client({ now: () => log.time + 10 * 60_000 }).lookup(alice.userId)).checkpoint.time).toBe(log.time);
  });

  it('one log size, two map roots: LOG_FORK', async () => {
    const store = new MemoryStore();
    await client({ store }).checkpoint();
    const other = await log.checkpoint(2, { mapSize: 1 });
    await expectVerification(client({ store, tamper: (path, answer) => (path === '/v1/log/checkpoint' ? { status: 200, body: other } : answer) }).checkpoint(), 'LOG_FORK');
  });
});

describe('histories and the monitor', () => {
  const hideHead: Tamper = (path, answer) =>
    path === `/v1/users/${alice.userId}/log` ? { status: 200, body: { ...(answer.body as object), entries: (answer.body as { entries: unknown[] }).entries.slice(0, -1) } } : answer;

  it('a history without its head: INCOMPLETE_HISTORY', async () => {
    expect((await client().history(alice.userId)).entries).toHaveLength(2);
    await expectVerification(client({ tamper: hideHead }).history(alice.userId), 'INCOMPLETE_HISTORY');
  });

  it('the monitor reports a head its owner did not make, though the history hides it', async () => {
    const store = new MemoryStore();
    const theirs = recordHash(alice.records[1]!);
    const report = await monitor(client({ store, tamper: hideHead }), alice.userId, { knownHashes: [recordHash(alice.records[0]!)] });
    expect(report.head).toMatchObject({ hash: theirs, expected: false });
    expect(report.unexpected.map((c) => c.hash)).toEqual([theirs]);
    expect(report.historyError?.code).toBe('INCOMPLETE_HISTORY');
    expect(report.checkedThrough).toBe(-1);
  });
});
