// The key map served (DESIGN.md §5.2, §6): every lookup page, write and lookup 404 carries a map
// proof against the checkpoint in the same answer, showing exactly the head it was shown — for
// identities and groups, through rotation, revocation and a recovery that lowers seq; a cached
// page never pairs with a proof of another checkpoint, not even while writes land; and the map
// roots the registry signs are the fold of GET /v1/log/entries, after a restart (which does not
// replay the log) and with two registry processes on one database.
import { describe, expect, it } from '@jest/globals';
import type { StatementOptions } from '../../src/db/database.js';
import { signCheckpoint } from '../../src/protocol/checkpoint.js';
import { toBase64 } from '../../src/protocol/encoding.js';
import type { GroupRecord } from '../../src/protocol/group.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import type { MapKey } from '../../src/protocol/key-map.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { systemClock } from '../../src/server/clock.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { MapState } from '../../src/server/log/map-state.js';
import { fastGenesis } from '../bench/fast-records.js';
import { openTestDatabase } from '../helpers/database.js';
import { expectWith } from '../helpers/expect-with.js';
import { asMember, foundGroup, groupUpdate, registeredPerson } from '../helpers/groups.js';
import type { Reply, Target } from '../helpers/http.js';
import { api } from '../helpers/http.js';
import { newIdentity, type TestIdentity } from '../helpers/identities.js';
import { allEntries, foldedRoots, headValue, isLookupRound, provenValue, registryCheckpoint, shown } from '../helpers/key-map.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, testClock, useTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

const UNKNOWN_ID = 'zzzzzzzzzzzzzzzzzzzzzzzzz';

/** Every page of a lookup bundle, following `next`; each must answer 200. */
async function bundlePages(target: Target, path: string): Promise<Array<Record<string, any>>> {
  const pages: Array<Record<string, any>> = [];
  for (let start: number | undefined = 0; start !== undefined; ) {
    const reply = await api(target).get(`${path}?start=${start}`);
    expectWith(reply.status, reply.text).toBe(200);
    pages.push(reply.body);
    start = reply.body.next as number | undefined;
  }
  return pages;
}

/**
 * Checks a lookup the way CONTRACT §2 says a client does: on every page, the map proof against
 * that page's checkpoint shows the head — the last entry of the joined chain, with the status the
 * bundle gives. Returns the head's map value.
 */
async function expectProvenBundle(registry: TestRegistry, path: string, key: MapKey) {
  const pages = await bundlePages(registry.app, path);
  const head = pages.flatMap((p) => p.entries).at(-1);
  for (const page of pages) {
    const value = await provenValue(page.checkpoint, registry.service.logKey.noteKey, key, page.mapProof);
    expect(shown(value)).toEqual(shown(headValue(head)));
    if (key.kind === 'user') expect(value!.status).toBe(page.status);
    expect(value!.index).toBe(page.proof.index);
  }
  return headValue(head);
}

/** Checks a write's answer: its map proof shows its own record at its index. */
async function expectProvenWrite(registry: TestRegistry, reply: Reply, record: { seq: number; status?: string }, key: MapKey) {
  expectWith(reply.status, reply.text).toBeLessThan(300);
  const value = await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, key, reply.body.mapProof);
  expect(shown(value)).toEqual(shown(headValue({ index: reply.body.index, record })));
}

/** Checks a lookup 404: still NOT_FOUND, with a checkpoint and a map proof of absence against it. */
async function expectProvenAbsence(registry: TestRegistry, path: string, key: MapKey) {
  const reply = await registry.api.get(path);
  expect(reply.status).toBe(404);
  expect(reply.headers.get('content-type')).toContain('application/problem+json');
  expect(reply.body.code).toBe('NOT_FOUND');
  expect(await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, key, reply.body.mapProof)).toBeNull();
  return reply.body;
}

describe('map proofs in answers', () => {
  const clock = testClock();
  // Small pages, so that a chain of a few records spans several.
  const registry = useTestRegistry({ clock, env: { PAGE_MAX_BYTES: '1500' } });
  const now = () => formatTimestamp(clock.now());

  async function successor(previous: IdentityRecord, signer: SigningKeyPair, options: { status?: 'revoked' } = {}) {
    clock.advance(1000);
    return createSuccessorRecord({ previous, signingKey: generateSigningKeyPair(), signer, createdAt: now(), ...options });
  }

  async function post(record: IdentityRecord): Promise<Reply> {
    const reply = await registry.api.post(`/v1/users/${record.userId}`, record);
    await expectProvenWrite(registry, reply, record, { kind: 'user', id: record.userId });
    return reply;
  }

  it('identities: registration, updates, a recovery that lowers seq, a revocation — each write and each lookup page proven', async () => {
    clock.advance(1000);
    const ada: TestIdentity = await newIdentity({ rotationKeys: 2, createdAt: now() });
    const key: MapKey = { kind: 'user', id: ada.userId };
    const [strong, weak] = ada.rotation as [SigningKeyPair, SigningKeyPair];
    const registered = await registry.api.post('/v1/users', ada.head);
    await expectProvenWrite(registry, registered, ada.head, key);
    expect((await expectProvenBundle(registry, `/v1/users/${ada.userId}`, key)).seq).toBe(0);

    const first = await successor(ada.head, weak);
    await post(first);
    const second = await successor(first, weak);
    await post(second);
    const before = await expectProvenBundle(registry, `/v1/users/${ada.userId}`, key);
    expect(before.seq).toBe(2);

    // The strongest key forks from the genesis: the two updates are nullified, the head's seq goes down.
    const recovery = await successor(ada.head, strong);
    const recovered = await post(recovery);
    const afterRecovery = await expectProvenBundle(registry, `/v1/users/${ada.userId}`, key);
    expect([afterRecovery.seq, afterRecovery.index]).toEqual([1, recovered.body.index]);

    const revocation = await successor(recovery, strong, { status: 'revoked' });
    await post(revocation);
    const revoked = await expectProvenBundle(registry, `/v1/users/${ada.userId}`, key);
    expect([revoked.status, revoked.seq]).toEqual(['revoked', 2]);
  });

  it('a chain of many pages: every page carries the head’s proof against its own checkpoint', async () => {
    clock.advance(1000);
    const bo = await newIdentity({ createdAt: now() });
    await registry.api.post('/v1/users', bo.head);
    for (let i = 0; i < 6; i++) {
      const next = await successor(bo.head, bo.rotation.at(-1)!);
      await post(next);
      bo.records.push(next);
    }
    const pages = await bundlePages(registry.app, `/v1/users/${bo.userId}`);
    expect(pages.length).toBeGreaterThan(1);
    await expectProvenBundle(registry, `/v1/users/${bo.userId}`, { kind: 'user', id: bo.userId });
  });

  it('groups: creation and an update, each write and lookup proven; the founder’s identity has its own key', async () => {
    const founder = await registeredPerson(registry.app, 'founder');
    const member = await registeredPerson(registry.app, 'member');
    const genesis = await foundGroup(founder, 'proven group');
    const key: MapKey = { kind: 'group', id: genesis.groupId };
    await expectProvenWrite(registry, await registry.api.post('/v1/groups', genesis), genesis, key);
    expect((await expectProvenBundle(registry, `/v1/groups/${genesis.groupId}`, key)).seq).toBe(0);
    const update: GroupRecord = await groupUpdate(genesis, founder, [...genesis.members, asMember(member, 'writer')]);
    await expectProvenWrite(registry, await registry.api.post(`/v1/groups/${genesis.groupId}`, update), update, key);
    expect((await expectProvenBundle(registry, `/v1/groups/${genesis.groupId}`, key)).seq).toBe(1);
    // A group and a user with the same id are different keys: the group's id is no user.
    await expectProvenAbsence(registry, `/v1/users/${genesis.groupId}`, { kind: 'user', id: genesis.groupId });
  });

  it('a 404 of a lookup proves the absence against its checkpoint, for users and groups, on any page', async () => {
    const user = await expectProvenAbsence(registry, `/v1/users/${UNKNOWN_ID}`, { kind: 'user', id: UNKNOWN_ID });
    expect(Object.keys(user).slice(0, 5)).toEqual(['type', 'title', 'status', 'code', 'detail']);
    await expectProvenAbsence(registry, `/v1/users/${UNKNOWN_ID}?start=3`, { kind: 'user', id: UNKNOWN_ID });
    await expectProvenAbsence(registry, `/v1/groups/${UNKNOWN_ID}`, { kind: 'group', id: UNKNOWN_ID });
  });

  it('a cached page gets the proof of each new checkpoint, never the one it was cached with', async () => {
    const cy = await registeredPerson(registry.app, 'cy');
    const key: MapKey = { kind: 'user', id: cy.userId };
    const first = await registry.api.get(`/v1/users/${cy.userId}`);
    // Other keys change the map: the page of cy is the same, its checkpoint and map proof are not.
    await registeredPerson(registry.app, 'someone else');
    const second = await registry.api.get(`/v1/users/${cy.userId}`);
    expect(second.body.checkpoint).not.toBe(first.body.checkpoint);
    expect(second.body.mapProof).not.toBe(first.body.mapProof);
    await expectProvenBundle(registry, `/v1/users/${cy.userId}`, key);
  });

  it('lookups racing writes of the same key: every answer’s head is the value its proof shows at its checkpoint', async () => {
    clock.advance(1000);
    const di = await newIdentity({ createdAt: now() });
    const key: MapKey = { kind: 'user', id: di.userId };
    await registry.api.post('/v1/users', di.head);
    const lookups: Array<Promise<Reply>> = [];
    for (let i = 0; i < 8; i++) {
      const next = await successor(di.head, di.rotation.at(-1)!);
      di.records.push(next);
      const write = registry.api.post(`/v1/users/${di.userId}`, next);
      for (let j = 0; j < 5; j++) lookups.push(registry.api.get(`/v1/users/${di.userId}`));
      expectWith((await write).status, 'the write').toBe(200);
    }
    for (const reply of await Promise.all(lookups)) {
      expectWith(reply.status, reply.text).toBe(200);
      const value = await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, key, reply.body.mapProof);
      // The head the answer claims is the one its inclusion proof is for; the last page shows its record.
      expect(value!.index).toBe(reply.body.proof.index);
      if (reply.body.next === undefined) expect(shown(value)).toEqual(shown(headValue(reply.body.entries.at(-1))));
    }
  });

  it('every checkpoint seen in answers has the map root of the fold of GET /v1/log/entries at its size', async () => {
    const seen = new Map<number, Set<string>>();
    const note = (text: string) => registryCheckpoint(text, registry.service.logKey.noteKey);
    const see = async (text: string) => {
      const checkpoint = await note(text);
      const roots = seen.get(checkpoint.size) ?? new Set<string>();
      roots.add(`${toBase64(checkpoint.root)} ${toBase64(checkpoint.mapRoot)}`);
      seen.set(checkpoint.size, roots);
    };
    for (let i = 0; i < 3; i++) {
      const person = await registeredPerson(registry.app, `folded ${i}`);
      await see((await registry.api.get(`/v1/users/${person.userId}`)).body.checkpoint);
      await see((await registry.api.get('/v1/log/checkpoint')).text);
    }
    const roots = foldedRoots(await allEntries(registry.app));
    for (const [size, signed] of seen) {
      expect(signed.size).toBe(1);
      expect([...signed][0]!.split(' ')[1]).toBe(roots[size]);
    }
  });
});

describe('a write landing between a lookup’s read and its proof', () => {
  it('the lookup still proves the head it read against the checkpoint it read, not the newer map', async () => {
    const database = await openTestDatabase();
    // The same database, with a pause after each lookup statement (the one that reads
    // log_checkpoints with the heads) in which the test may land a write.
    let pause: (() => Promise<void>) | null = null;
    const paused = {
      ...database,
      db: {
        ...database.db,
        async query<T>(text: string, params?: unknown[], options?: StatementOptions): Promise<T[]> {
          const rows = await database.db.query<T>(text, params, options);
          const hook = pause;
          if (hook !== null && isLookupRound(text)) {
            pause = null;
            await hook();
          }
          return rows;
        },
      },
    };
    const registry = await startTestRegistry({ database: paused, listen: false });
    try {
      const eve = await registeredPerson(registry.app, 'eve');
      const key: MapKey = { kind: 'user', id: eve.userId };
      let landed: Reply | null = null;
      pause = async () => {
        const record = await createSuccessorRecord({ previous: eve.records[0]!, signingKey: generateSigningKeyPair(), signer: eve.keys.rotation });
        landed = await registry.api.post(`/v1/users/${eve.userId}`, record);
      };
      const reply = await registry.api.get(`/v1/users/${eve.userId}`);
      expectWith(landed!.status, landed!.text).toBe(200);
      expectWith(reply.status, reply.text).toBe(200);
      // The answer is the state before the write, consistently: its head, its checkpoint, its proof.
      expect(reply.body.entries).toHaveLength(1);
      const value = await provenValue(reply.body.checkpoint, registry.service.logKey.noteKey, key, reply.body.mapProof);
      expect(shown(value)).toEqual(shown(headValue(reply.body.entries[0])));
      await expectProvenBundle(registry, `/v1/users/${eve.userId}`, key);
    } finally {
      await registry.close();
      await database.close();
    }
  }, SETUP_TIMEOUT_MS);
});

describe('restart', () => {
  it('keeps the map root without replaying the log: it is read from the chains’ tables', async () => {
    const database = await openTestDatabase();
    try {
      const first = await startTestRegistry({ database, listen: false });
      const ann = await registeredPerson(first.app, 'ann');
      await registeredPerson(first.app, 'ben');
      const before = (await first.api.get('/v1/log/checkpoint')).text;
      await first.close();
      // Entry 1 (ben's genesis) no longer folds: a restart that replayed the log could not build the map.
      await database.db.query(`UPDATE log_entries SET record = '{"type":"nonsense"}' WHERE index = 1`);
      const second = await startTestRegistry({ database, listen: false, logSeed: first.logSeed });
      try {
        expect((await second.api.get('/v1/log/checkpoint')).text).toBe(before);
        await expectProvenBundle(second, `/v1/users/${ann.userId}`, { kind: 'user', id: ann.userId });
      } finally {
        await second.close();
      }
    } finally {
      await database.close();
    }
  }, SETUP_TIMEOUT_MS);
});

describe('fresh checkpoints', () => {
  const registry = useTestRegistry({ env: { CHECKPOINT_INTERVAL_SECONDS: '1' }, listen: true });

  it('a registry signs a fresh checkpoint of the same size and roots while no write comes', async () => {
    const key = registry.service.logKey.noteKey;
    const first = await registryCheckpoint((await api(registry.url).get('/v1/log/checkpoint')).text, key);
    const fresh = await waitFor(
      async () => {
        const checkpoint = await registryCheckpoint((await api(registry.url).get('/v1/log/checkpoint')).text, key);
        if (checkpoint.time === first.time) throw new Error('no fresh checkpoint yet');
        return checkpoint;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(fresh.time).toBeGreaterThan(first.time);
    expect([fresh.size, toBase64(fresh.root), toBase64(fresh.mapRoot)]).toEqual([first.size, toBase64(first.root), toBase64(first.mapRoot)]);
  });
});

describe('a registry started after a long stop', () => {
  it('signs a fresh checkpoint at once, not an interval later', async () => {
    const database = await openTestDatabase();
    const clock = testClock();
    try {
      const first = await startTestRegistry({ database, clock, listen: false });
      await registeredPerson(first.app, 'before the stop');
      const before = await registryCheckpoint((await first.api.get('/v1/log/checkpoint')).text, first.service.logKey.noteKey);
      await first.close();
      clock.advance(2 * 60 * 60 * 1000);
      const second = await startTestRegistry({ database, clock, logSeed: first.logSeed, listen: true });
      try {
        const fresh = await waitFor(
          async () => {
            const checkpoint = await registryCheckpoint((await second.api.get('/v1/log/checkpoint')).text, second.service.logKey.noteKey);
            if (checkpoint.time === before.time) throw new Error('still the checkpoint from before the stop');
            return checkpoint;
          },
          { timeout: 30_000, interval: 200 },
        );
        expect([fresh.time, fresh.size, toBase64(fresh.mapRoot)]).toEqual([clock.now(), before.size, toBase64(before.mapRoot)]);
      } finally {
        await second.close();
      }
    } finally {
      await database.close();
    }
  }, SETUP_TIMEOUT_MS);
});

describe('a log signed before the key map', () => {
  it('gets a checkpoint of its size with the map and time lines when the registry starts', async () => {
    const database = await openTestDatabase();
    try {
      const first = await startTestRegistry({ database, listen: false });
      const ann = await registeredPerson(first.app, 'ann');
      const latest = await registryCheckpoint((await first.api.get('/v1/log/checkpoint')).text, first.service.logKey.noteKey);
      const key = first.service.logKey;
      await first.close();
      // What a registry of the previous version signed: the three C2SP lines alone.
      const old = await signCheckpoint({ origin: latest.origin, size: latest.size, root: latest.root }, key.noteKey, key.sign);
      await database.db.query('UPDATE log_checkpoints SET note = $1 WHERE size = $2', [old, latest.size]);
      const second = await startTestRegistry({ database, listen: false, logSeed: first.logSeed });
      try {
        const upgraded = await registryCheckpoint((await second.api.get('/v1/log/checkpoint')).text, key.noteKey);
        expect([upgraded.size, toBase64(upgraded.root), toBase64(upgraded.mapRoot)]).toEqual([latest.size, toBase64(latest.root), toBase64(latest.mapRoot)]);
        await expectProvenBundle(second, `/v1/users/${ann.userId}`, { kind: 'user', id: ann.userId });
      } finally {
        await second.close();
      }
    } finally {
      await database.close();
    }
  }, SETUP_TIMEOUT_MS);
});

describe('two registry processes on one database', () => {
  it('sign the map roots of the fold whichever of them wrote last, and prove against them', async () => {
    const database = await openTestDatabase();
    const a = await startTestRegistry({ database, listen: false });
    const b = await startTestRegistry({ database, listen: false, logSeed: a.logSeed });
    try {
      const notes: string[] = [];
      const people = [];
      for (let i = 0; i < 6; i++) {
        const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
        const person = await registeredPerson(writer.app, `p${i}`);
        people.push(person);
        const key: MapKey = { kind: 'user', id: person.userId };
        // The other process has not seen this write: its map catches up before it proves.
        await expectProvenBundle(reader, `/v1/users/${person.userId}`, key);
        notes.push((await reader.api.get(`/v1/users/${person.userId}`)).body.checkpoint);
        const absent = await expectProvenAbsence(reader, `/v1/groups/${UNKNOWN_ID}`, { kind: 'group', id: UNKNOWN_ID });
        notes.push(absent.checkpoint);
      }
      // Interleaved writes: each process appends on top of the other's entries.
      const writes = await Promise.all(people.map(async (person, i) => {
        const record = await createSuccessorRecord({ previous: person.records[0]!, signingKey: generateSigningKeyPair(), signer: person.keys.rotation });
        const reply = await (i % 2 === 0 ? b : a).api.post(`/v1/users/${person.userId}`, record);
        await expectProvenWrite(i % 2 === 0 ? b : a, reply, record, { kind: 'user', id: person.userId });
        return reply;
      }));
      notes.push(...writes.map((w) => w.body.checkpoint as string));
      const roots = foldedRoots(await allEntries(a.app));
      for (const note of notes) {
        const checkpoint = await registryCheckpoint(note, a.service.logKey.noteKey);
        expect(toBase64(checkpoint.mapRoot)).toBe(roots[checkpoint.size]);
      }
    } finally {
      await b.close();
      await a.close();
      await database.close();
    }
  }, SETUP_TIMEOUT_MS);

  it('a process whose map is more than a thousand entries behind folds them before it takes the log lock, and signs the fold', async () => {
    const database = await openTestDatabase();
    const registry = await startTestRegistry({ database, listen: false });
    try {
      // Another process appends 1,100 records; this registry's map is still at the size it started with.
      const other = new LogWriter(database.db, new SubtreeStore(database.db), await MapState.load(database.db), registry.service.logKey, systemClock);
      let next = 0;
      await Promise.all(
        Array.from({ length: 256 }, async () => {
          while (next < 1100) {
            next++;
            await other.append(new Write(identityKind, fastGenesis().head, 'genesis'));
          }
        }),
      );
      await other.stop();
      const person = await registeredPerson(registry.app, 'after the others');
      const written = await registry.api.get(`/v1/users/${person.userId}`);
      await expectProvenBundle(registry, `/v1/users/${person.userId}`, { kind: 'user', id: person.userId });
      const checkpoint = await registryCheckpoint(written.body.checkpoint, registry.service.logKey.noteKey);
      expect(checkpoint.size).toBe(1101);
      expect(toBase64(checkpoint.mapRoot)).toBe(foldedRoots(await allEntries(registry.app))[1101]);
    } finally {
      await registry.close();
      await database.close();
    }
  }, SETUP_TIMEOUT_MS);
});
