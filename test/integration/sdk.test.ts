// The SDK against a real registry, and against a lying one: a tampering proxy in between.
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signCheckpoint, parseCheckpointText, parseSignedNote, noteKey } from '../../src/protocol/checkpoint.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import {
  MemoryStore,
  RegistryClient,
  RegistryError,
  createDeviceRecord,
  createIdentityRecord,
  createSuccessorRecord,
  generateIdentityKeys,
  generateSigningKeyPair,
  lookupQuorum,
  QuorumError,
  tweetnaclVerify,
  type IdentityRecord,
} from '../../src/sdk/index.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';
import { startTestRegistry, useTestRegistry } from '../helpers/registry.js';
import { expectVerification } from '../helpers/errors.js';

// The SDK talks HTTP to a listening registry (or to a tampering proxy in front of it).
const registry = useTestRegistry({ listen: true });
let vkey: string;

beforeAll(() => {
  vkey = registry.service.logKey.vkey;
});

/** A registered identity with two updates, through the SDK. */
async function registeredIdentity(client: RegistryClient) {
  const keys = generateIdentityKeys();
  const records: IdentityRecord[] = [await createIdentityRecord(keys, { name: 'Tamper Target' })];
  await client.register(records[0]!);
  for (let i = 0; i < 2; i++) {
    const next = await createSuccessorRecord({ previous: records[records.length - 1]!, signingKey: keys.signing, signer: keys.rotation, name: `v${i + 1}` });
    await client.submit(next);
    records.push(next);
  }
  return { keys, records, userId: records[0]!.userId };
}

describe('RegistryClient against a real registry', () => {
  it('registers, rotates twice, revokes and looks up — each answer verified', async () => {
    const client = new RegistryClient({ url: registry.url, vkey });
    const keys = generateIdentityKeys();
    const genesis = await createIdentityRecord(keys, { name: 'Alice' });
    const receipt = await client.register(genesis);
    expect(receipt.checkpoint.size).toBeGreaterThan(receipt.index);

    let head = genesis;
    let signing = keys.signing;
    for (let i = 0; i < 2; i++) {
      signing = generateSigningKeyPair();
      head = await createSuccessorRecord({ previous: head, signingKey: signing, signer: keys.rotation });
      await client.submit(head);
      const identity = await client.lookup(genesis.userId);
      expect(identity.publicKey).toBe(signing.publicKey);
      expect(identity.head.seq).toBe(i + 1);
    }
    const device = await createDeviceRecord({ userId: genesis.userId, addresses: ['192.168.1.2:5000'], signingKey: signing });
    expect(await client.publishDevice(device)).toEqual(device);
    expect(await client.devices(genesis.userId)).toEqual([device]);

    await client.submit(await createSuccessorRecord({ previous: head, signingKey: signing, signer: keys.rotation, status: 'revoked' }));
    const revoked = await client.lookup(genesis.userId);
    expect(revoked.status).toBe('revoked');
    expect(revoked.entries).toHaveLength(4);
    expect(await client.devices(genesis.userId)).toEqual([]);
  });

  it('reports the registry’s refusals as RegistryError with the problem code', async () => {
    const client = new RegistryClient({ url: registry.url, vkey });
    const error = await client.lookup('0000000000zzzzzzzzzzzzzzz').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('NOT_FOUND');
  });

  it('works with the tweetnacl verifier as with WebCrypto', async () => {
    const client = new RegistryClient({ url: registry.url, vkey, verify: tweetnaclVerify });
    const { userId, records } = await registeredIdentity(client);
    expect((await client.lookup(userId)).entries.map((e) => e.record)).toEqual(records);
  });
});

describe('a lying registry is caught', () => {
  let proxy: TamperingProxy;
  let client: RegistryClient;
  let target: Awaited<ReturnType<typeof registeredIdentity>>;

  beforeAll(async () => {
    target = await registeredIdentity(new RegistryClient({ url: registry.url, vkey }));
    proxy = await startTamperingProxy(registry.url);
  }, 120_000);
  afterAll(() => proxy.close(), 120_000);

  const fresh = () => {
    proxy.tamper = null;
    proxy.upstream = registry.url;
    client = new RegistryClient({ url: proxy.url, vkey });
  };
  const onLookup = (change: (bundle: any) => void) => {
    proxy.tamper = ({ path, body }) => {
      if (path.startsWith(`/v1/users/${target.userId}`) && typeof body === 'object') change(body);
      return body;
    };
  };

  it('a changed key in a record: BAD_SIGNATURE', async () => {
    fresh();
    onLookup((bundle) => {
      bundle.entries[1].record.publicKey = generateSigningKeyPair().publicKey;
    });
    await expectVerification(client.lookup(target.userId), 'BAD_SIGNATURE');
  });

  it('a dropped chain entry: CHAIN_GAP', async () => {
    fresh();
    onLookup((bundle) => bundle.entries.splice(1, 1));
    await expectVerification(client.lookup(target.userId), 'CHAIN_GAP');
  });

  it('a reordered chain: CHAIN_ORDER', async () => {
    fresh();
    onLookup((bundle) => bundle.entries.reverse());
    await expectVerification(client.lookup(target.userId), 'CHAIN_ORDER');
  });

  it('a wrong proof hash: BAD_INCLUSION_PROOF', async () => {
    fresh();
    onLookup((bundle) => {
      bundle.proof.hashes[0] = toBase64Url(nacl.randomBytes(32));
    });
    await expectVerification(client.lookup(target.userId), 'BAD_INCLUSION_PROOF');
  });

  it('an inclusion proof whose hashes are not a list: a VerificationError, not a TypeError', async () => {
    fresh();
    proxy.tamper = ({ path, body }) => {
      if (path.startsWith('/v1/log/proof/inclusion') && typeof body === 'object') (body as { hashes: unknown }).hashes = 'not a list';
      return body;
    };
    await expectVerification(client.history(target.userId), 'INVALID_RESPONSE');
  });

  it('a checkpoint signed by another key: BAD_CHECKPOINT', async () => {
    fresh();
    const impostor = nacl.sign.keyPair();
    // The same origin and tree, signed by a key the client did not pin.
    const key = noteKey(registry.config.log.origin, impostor.publicKey);
    const genuine = parseCheckpointText(parseSignedNote((await fetch(`${registry.url}/v1/log/checkpoint`).then((r) => r.text())))!.text)!;
    const forged = await signCheckpoint(genuine, key, (m) => nacl.sign.detached(m, impostor.secretKey));
    onLookup((bundle) => {
      bundle.checkpoint = forged;
    });
    await expectVerification(client.lookup(target.userId), 'BAD_CHECKPOINT');
  });

  it('a forked log — a checkpoint inconsistent with one seen before: LOG_FORK', async () => {
    fresh();
    await client.lookup(target.userId); // the client now holds the real log's checkpoint
    // The same registry key over a different history: a second registry with the same seed.
    const fork = await startTestRegistry({ logSeed: registry.logSeed });
    try {
      const forkClient = new RegistryClient({ url: fork.url, vkey });
      const other = await registeredIdentity(forkClient);
      for (let i = 0; i < 12; i++) await registeredIdentity(forkClient); // the fork is larger than the real log was
      proxy.upstream = fork.url;
      await expectVerification(client.lookup(other.userId), 'LOG_FORK');
    } finally {
      await fork.close();
    }
  });

  it('a stale answer after a rotation the client already saw: STALE_ANSWER', async () => {
    fresh();
    let replay: unknown = null;
    proxy.tamper = ({ method, path, body }) => {
      if (method === 'GET' && path === `/v1/users/${target.userId}`) {
        if (replay === null) replay = body;
        else return replay;
      }
      return body;
    };
    const before = await client.lookup(target.userId);
    const rotated = await createSuccessorRecord({ previous: target.records[target.records.length - 1]!, signingKey: generateSigningKeyPair(), signer: target.keys.rotation });
    await client.submit(rotated);
    target.records.push(rotated);
    await expectVerification(client.lookup(target.userId), 'STALE_ANSWER');
    expect(before.head.seq).toBe(rotated.seq - 1);
  });

  it('lookupQuorum returns keys only when registries agree, and names who said what', async () => {
    fresh();
    const honest = new RegistryClient({ url: registry.url, vkey });
    expect((await lookupQuorum([honest, client], target.userId)).publicKey).toBe((await honest.lookup(target.userId)).publicKey);
    onLookup((bundle) => bundle.entries.splice(1, 1));
    const error = (await lookupQuorum([honest, new RegistryClient({ url: proxy.url, vkey })], target.userId).catch((e: unknown) => e)) as QuorumError;
    expect(error).toBeInstanceOf(QuorumError);
    expect(error.code).toBe('QUORUM_DISAGREEMENT');
    expect(error.answers.map((a) => [a.registry, a.identity !== undefined, a.error?.code])).toEqual([
      [registry.url, true, undefined],
      [proxy.url, false, 'CHAIN_GAP'],
    ]);
  });

  it('keeps the last checkpoint in the store it is given, across clients', async () => {
    fresh();
    const store = new MemoryStore();
    await new RegistryClient({ url: registry.url, vkey, store }).lookup(target.userId);
    expect(store.get(`checkpoint:${registry.config.log.origin}`)).toContain('"size"');
    const later = new RegistryClient({ url: registry.url, vkey, store });
    expect((await later.lastCheckpoint())!.size).toBeGreaterThan(0);
  });
});

describe('a registry behind what the client saw', () => {
  it('is a STALE_ANSWER, not a "not found": a lagging replica or a rolled-back log', async () => {
    const store = new MemoryStore();
    // Two identities here, one there: the store's checkpoint is larger than the other log.
    for (let i = 0; i < 2; i++) await registeredIdentity(new RegistryClient({ url: registry.url, vkey, store }));
    const older = await startTestRegistry({ logSeed: registry.logSeed }); // the same key over a shorter log
    try {
      const other = await registeredIdentity(new RegistryClient({ url: older.url, vkey }));
      await expectVerification(new RegistryClient({ url: older.url, vkey, store }).lookup(other.userId), 'STALE_ANSWER');
    } finally {
      await older.close();
    }
  });
});
