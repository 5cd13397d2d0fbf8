// Issue 15, the client's half: a registry (or anything between it and the client) that shows an
// old head with a current checkpoint, denies an identity that exists, replays an old checkpoint,
// leaves records out of a history or slips a head past its owner is caught — each with its code.
// A tampering proxy plays the liar in front of a real registry.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseCheckpointText, parseSignedNote, signCheckpoint } from '../../src/protocol/checkpoint.js';
import { recordHash } from '../../src/protocol/signing.js';
import { newPeersId } from '../../src/protocol/ids.js';
import {
  CheckpointError,
  MemoryStore,
  NotFoundError,
  ReceiptNotVerifiedError,
  RegistryClient,
  createIdentityRecord,
  createSuccessorRecord,
  evaluateTrust,
  generateIdentityKeys,
  generateSigningKeyPair,
  monitor,
  registryTrust,
  type IdentityKeys,
  type IdentityRecord,
} from '../../src/sdk/index.js';
import { expectVerification } from '../helpers/errors.js';
import { foundGroup, registeredPerson } from '../helpers/groups.js';
import { useTestRegistry } from '../helpers/registry.js';
import { startTamperingProxy, type Exchange, type TamperingProxy } from '../helpers/tampering-proxy.js';

const registry = useTestRegistry({ listen: true });
let vkey: string;
let proxy: TamperingProxy;

beforeAll(async () => {
  vkey = registry.service.logKey.vkey;
  proxy = await startTamperingProxy(registry.url);
}, 120_000);
afterAll(() => proxy.close(), 120_000);

interface Registered {
  keys: IdentityKeys;
  records: IdentityRecord[];
  userId: string;
}

/** A registered identity (genesis and one update), written straight to the registry. */
async function registered(name: string): Promise<Registered> {
  const client = new RegistryClient({ url: registry.url, vkey });
  const keys = generateIdentityKeys();
  const records = [await createIdentityRecord(keys, { name })];
  await client.register(records[0]!);
  records.push(await createSuccessorRecord({ previous: records[0]!, signingKey: keys.signing, signer: keys.rotation, name: `${name} 2` }));
  await client.submit(records[1]!);
  return { keys, records, userId: records[0]!.userId };
}

/** A rotation of `who`'s head, written straight to the registry. */
async function rotate(who: Registered): Promise<IdentityRecord> {
  const record = await createSuccessorRecord({ previous: who.records[who.records.length - 1]!, signingKey: generateSigningKeyPair(), signer: who.keys.rotation });
  await new RegistryClient({ url: registry.url, vkey }).submit(record);
  who.records.push(record);
  return record;
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const answer = await fetch(registry.url + path);
  const text = await answer.text();
  return { status: answer.status, body: (answer.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

/** A client of the proxy, with nothing seen yet (unless given a store). */
const viaProxy = (options: { store?: MemoryStore; now?: () => number } = {}) => new RegistryClient({ url: proxy.url, vkey, ...options });

/** Makes the proxy answer GET `path` (exactly) with what `replace` says; everything else passes. */
function answer(path: string, replace: (exchange: Exchange) => { status?: number; body: unknown }): void {
  proxy.tamper = (exchange) => {
    if (exchange.method !== 'GET' || exchange.path !== path) return exchange.body;
    const { status, body } = replace(exchange);
    if (status !== undefined) exchange.status = status;
    return body;
  };
}

function reset(): void {
  proxy.tamper = null;
}

describe('an old head with the current checkpoint: STALE_ANSWER', () => {
  let target: Registered;
  let before: any;

  beforeAll(async () => {
    target = await registered('Stale Target');
    before = (await get(`/v1/users/${target.userId}`)).body; // captured before the rotation
    await rotate(target);
  }, 120_000);
  afterAll(reset);

  /** The captured old bundle, with the current checkpoint and a valid inclusion proof of its head in the current tree. */
  async function oldHeadNow(mapProof: 'current' | 'own'): Promise<unknown> {
    const now = (await get(`/v1/users/${target.userId}`)).body;
    const size = parseCheckpointText(parseSignedNote(now.checkpoint)!.text)!.size;
    const inclusion = (await get(`/v1/log/proof/inclusion?index=${before.proof.index}&size=${size}`)).body;
    return { ...before, proof: inclusion, checkpoint: now.checkpoint, mapProof: mapProof === 'current' ? now.mapProof : before.mapProof };
  }

  it('with the current map proof', async () => {
    const forged = await oldHeadNow('current');
    answer(`/v1/users/${target.userId}`, () => ({ body: forged }));
    await expectVerification(viaProxy().lookup(target.userId), 'STALE_ANSWER');
  });

  it('with its own old map proof', async () => {
    const forged = await oldHeadNow('own');
    answer(`/v1/users/${target.userId}`, () => ({ body: forged }));
    await expectVerification(viaProxy().lookup(target.userId), 'STALE_ANSWER');
  });

  it('with no map proof at all', async () => {
    const { mapProof: _gone, ...forged } = (await oldHeadNow('current')) as Record<string, unknown>;
    answer(`/v1/users/${target.userId}`, () => ({ body: forged }));
    await expectVerification(viaProxy().lookup(target.userId), 'STALE_ANSWER');
  });

  it('the honest answer verifies, with its checkpoint’s time', async () => {
    reset();
    const identity = await viaProxy().lookup(target.userId);
    expect(identity.head.hash).toBe(recordHash(target.records[target.records.length - 1]!));
    expect(Math.abs(identity.checkpoint.time - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('a write receipt whose map proof is not the written record’s: STALE_ANSWER', async () => {
    const other = (await get(`/v1/users/${target.userId}`)).body.mapProof as string;
    proxy.tamper = ({ method, body }) => (method === 'POST' && typeof body === 'object' && body !== null ? { ...body, mapProof: other } : body);
    const keys = generateIdentityKeys();
    const error = await viaProxy()
      .register(await createIdentityRecord(keys, { name: 'Receipt' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReceiptNotVerifiedError);
    expect((error as ReceiptNotVerifiedError).code).toBe('STALE_ANSWER');
  });
});

describe('a 404 for an identity that exists: UNVERIFIED_ABSENCE', () => {
  let target: Registered;
  let absentBefore: any;
  let stranger: any;

  beforeAll(async () => {
    const keys = generateIdentityKeys();
    const genesis = await createIdentityRecord(keys, { name: 'Hidden' });
    absentBefore = (await get(`/v1/users/${genesis.userId}`)).body; // a genuine 404, before it existed
    expect(absentBefore.code).toBe('NOT_FOUND');
    await new RegistryClient({ url: registry.url, vkey }).register(genesis);
    target = { keys, records: [genesis], userId: genesis.userId };
    stranger = (await get(`/v1/users/${newPeersId()}`)).body; // a genuine 404 for another id
  }, 120_000);
  afterAll(reset);

  const notFound = (body: unknown) => answer(`/v1/users/${target.userId}`, () => ({ status: 404, body }));

  it('a proven absence is a NotFoundError with the checkpoint it is proven against', async () => {
    reset();
    const error = await viaProxy().lookup(newPeersId()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).code).toBe('NOT_FOUND');
    expect((error as NotFoundError).checkpoint.mapRoot).toHaveLength(32);
  });

  it('without a proof', async () => {
    notFound({ type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: 'no such user' });
    await expectVerification(viaProxy().lookup(target.userId), 'UNVERIFIED_ABSENCE');
  });

  it('with a forged proof: an absence proof from another root (before the identity existed)', async () => {
    const current = (await get(`/v1/users/${target.userId}`)).body;
    notFound({ ...absentBefore, checkpoint: current.checkpoint });
    await expectVerification(viaProxy().lookup(target.userId), 'UNVERIFIED_ABSENCE');
  });

  it('with a forged proof: the absence proof of another key', async () => {
    notFound(stranger);
    await expectVerification(viaProxy().lookup(target.userId), 'UNVERIFIED_ABSENCE');
  });

  it('the genuine old 404, replayed to a client that saw a later checkpoint: STALE_ANSWER', async () => {
    reset();
    const store = new MemoryStore();
    await viaProxy({ store }).lookup(target.userId); // passes through: the client sees the current checkpoint
    notFound(absentBefore);
    await expectVerification(viaProxy({ store }).lookup(target.userId), 'STALE_ANSWER');
  });

  it('registryTrust refuses rather than letting the handshake fall to blind trust', async () => {
    notFound({ type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND' });
    const presented = { publicKey: target.keys.signing.publicKey, publicBoxKey: target.keys.box.publicKey };
    await expectVerification(evaluateTrust(target.userId, presented, { sources: [registryTrust(viaProxy())], blindTrust: true }), 'UNVERIFIED_ABSENCE');
    // A proven absence is "unknown" to the registry source: blind trust, when chosen, applies.
    reset();
    const nobody = newPeersId();
    expect((await evaluateTrust(nobody, presented, { sources: [registryTrust(viaProxy())], blindTrust: true })).blind).toBe(true);
  });
});

describe('groups: the head is the map’s, the absence proven', () => {
  let groupId: string;
  beforeAll(async () => {
    const founder = await registeredPerson(registry.url, 'Founder');
    const genesis = await foundGroup(founder, 'Mapped group');
    await new RegistryClient({ url: registry.url, vkey }).registerGroup(genesis);
    groupId = genesis.groupId;
  }, 120_000);
  afterAll(reset);

  it('a group bundle verifies with its map proof, and not without it: STALE_ANSWER', async () => {
    reset();
    expect((await viaProxy().group(groupId)).checkpoint.mapRoot).toHaveLength(32);
    answer(`/v1/groups/${groupId}`, ({ body }) => ({ body: { ...(body as object), mapProof: undefined } }));
    await expectVerification(viaProxy().group(groupId), 'STALE_ANSWER');
  });

  it('a 404 for a group that exists, without a proof: UNVERIFIED_ABSENCE; a proven one: NotFoundError', async () => {
    answer(`/v1/groups/${groupId}`, () => ({ status: 404, body: { type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND' } }));
    await expectVerification(viaProxy().group(groupId), 'UNVERIFIED_ABSENCE');
    reset();
    expect(await viaProxy().group(newPeersId()).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });
});

describe('checkpoints: fresh, not from the future, one map per log size', () => {
  let target: Registered;
  beforeAll(async () => {
    target = await registered('Clock');
  }, 120_000);
  afterAll(reset);

  it('a checkpoint older than the maximum age: STALE_CHECKPOINT', async () => {
    reset();
    await expectVerification(viaProxy({ now: () => Date.now() + 11 * 60_000 }).lookup(target.userId), 'STALE_CHECKPOINT');
    // A captured answer, replayed after the maximum age (as a client 11 minutes later sees it).
    const captured = (await get(`/v1/users/${target.userId}`)).body;
    answer(`/v1/users/${target.userId}`, () => ({ body: captured }));
    await expectVerification(new RegistryClient({ url: proxy.url, vkey, maxCheckpointAgeMs: 60_000, now: () => Date.now() + 2 * 60_000 }).lookup(target.userId), 'STALE_CHECKPOINT');
  });

  it('a checkpoint dated more than 5 minutes ahead: BAD_CHECKPOINT, reason FUTURE_TIME', async () => {
    reset();
    const error = await viaProxy({ now: () => Date.now() - 6 * 60_000 }).lookup(target.userId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).reason).toBe('FUTURE_TIME');
  });

  it('two checkpoints of one size with different map roots: LOG_FORK', async () => {
    reset();
    const store = new MemoryStore();
    const seen = await viaProxy({ store }).checkpoint();
    // The registry's own key, signing the same log with another map root.
    const forged = await signCheckpoint({ ...seen, mapRoot: new Uint8Array(32).fill(7), time: Date.now() }, registry.service.logKey.noteKey, registry.service.logKey.sign);
    answer('/v1/log/checkpoint', () => ({ body: forged }));
    await expectVerification(viaProxy({ store }).checkpoint(), 'LOG_FORK');
  });
});

describe('audit histories: complete up to the map’s head', () => {
  let target: Registered;
  beforeAll(async () => {
    target = await registered('History');
    await rotate(target);
  }, 120_000);
  afterAll(reset);

  const dropping = (which: (entries: unknown[]) => unknown[]) =>
    answer(`/v1/users/${target.userId}/log`, ({ body }) => ({ body: { ...(body as object), entries: which((body as { entries: unknown[] }).entries) } }));

  it('the whole history verifies', async () => {
    reset();
    const { entries } = await viaProxy().history(target.userId);
    expect(entries.map((e) => e.hash)).toEqual(target.records.map((r) => recordHash(r)));
  });

  it('the latest record removed: INCOMPLETE_HISTORY', async () => {
    dropping((entries) => entries.slice(0, -1));
    await expectVerification(viaProxy().history(target.userId), 'INCOMPLETE_HISTORY');
  });

  it('a record in the middle removed: INCOMPLETE_HISTORY', async () => {
    dropping((entries) => entries.filter((_, i) => i !== 1));
    await expectVerification(viaProxy().history(target.userId), 'INCOMPLETE_HISTORY');
  });
});

describe('monitor: a head its owner did not make is reported, whatever the history says', () => {
  it('reports the thief’s head from the key map when the history hides it', async () => {
    reset();
    const owner = await registered('Monitored');
    const store = new MemoryStore();
    const known = owner.records.map((r) => recordHash(r));
    const first = await monitor(viaProxy({ store }), owner.userId, { knownHashes: known });
    expect(first.unexpected).toEqual([]);
    expect(first.head.expected).toBe(true);

    // A thief with the rotation key writes a record; the registry's history leaves it out.
    const theft = await rotate(owner);
    answer(`/v1/users/${owner.userId}/log`, ({ body }) => ({ body: { ...(body as object), entries: (body as { entries: unknown[] }).entries.slice(0, -1) } }));
    const alarm = await monitor(viaProxy({ store }), owner.userId, { knownHashes: known });
    expect(alarm.head.expected).toBe(false);
    expect(alarm.head.hash).toBe(recordHash(theft));
    expect(alarm.unexpected.map((c) => c.hash)).toEqual([recordHash(theft)]);
    expect(alarm.historyError?.code).toBe('INCOMPLETE_HISTORY');

    // The honest history reports it too, and the check moves on.
    reset();
    const honest = await monitor(viaProxy({ store }), owner.userId, { knownHashes: known });
    expect(honest.unexpected.map((c) => c.hash)).toEqual([recordHash(theft)]);
    expect(honest.historyError).toBeUndefined();
  });
});
