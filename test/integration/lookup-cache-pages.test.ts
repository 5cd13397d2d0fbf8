// The lookup cache's pages on the embedded database (server/log/chain-bundles.ts): what they keep
// in memory, which of a hand-over's and a round's pages is kept, the writer's hand-over when its
// receiver fails, and the round's function of the session (db/chain-lookups.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { systemClock } from '../../src/server/clock.js';
import { KEY_OVERHEAD } from '../../src/server/generational-cache.js';
import { ChainBundles, lookupCache, type CommittedRecord, type LookupCache } from '../../src/server/log/chain-bundles.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { LookupReads } from '../../src/server/log/lookup-reads.js';
import { MapState } from '../../src/server/log/map-state.js';
import { fastGenesis, fastRotation } from '../bench/fast-records.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { registeredPerson, type Person } from '../helpers/groups.js';
import { SETUP_TIMEOUT_MS, startTestRegistry } from '../helpers/registry.js';

let database: TestDatabase;
let cache: LookupCache;
let bundles: ChainBundles<unknown>;
/** A user registered through a registry on the database, which is then closed: the log and chains it wrote stay. */
let ann: Person;
/** The seed of the log key that every writer of the suite's database signs with (the origin is startTestRegistry's). */
const logSeed = new Uint8Array(32);
const logKey = logKeyFromSeed('test.example/peerkeys', logSeed);
/** A user id (a Peers id: 25 characters of [0-9a-z]). */
const USER = 'a'.repeat(25);
/** The chains of identities, with a summary of the id alone. */
const source = { table: 'identities', summary: (userId: string) => ({ userId }), what: 'identity' } as const;
/** The ETag Express gives a body with the `etag` setting of the app (app.ts). */
const etagOf: (body: Buffer) => string = express().set('etag', 'strong').get('etag fn');
/** A held page's prefix: the page's JSON up to its entries and `next` (held alone, or as the start of its last answer). */
const prefixOf = (page: { bytes: Buffer; prefixLength: number }) => page.bytes.subarray(0, page.prefixLength).toString();

beforeAll(async () => {
  database = await openTestDatabase({ embedded: true });
  const registry = await startTestRegistry({ database, listen: false, logSeed });
  ann = await registeredPerson(registry.app, 'ann');
  await registry.close();
  cache = lookupCache(1 << 20);
  bundles = new ChainBundles(new SubtreeStore(database.db), source, {
    cache,
    pageBytes: 64 * 1024,
    keyMap: await MapState.load(database.db),
    lookups: new LookupReads(database.db),
  });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await database?.close();
}, SETUP_TIMEOUT_MS);

/** A committed record of user `id` at `index`; the text stands for a stored record (only seq is read from it), not all ASCII. */
const committed = (id: string, index: number, seq: number, change: CommittedRecord['change']): CommittedRecord => ({
  index,
  acceptedAt: Date.UTC(2026, 0, 1),
  record: JSON.stringify({ seq, userId: id, name: 'Zoë 🔑' }),
  change,
  key: { kind: 'user', id },
});

describe('the lookup cache', () => {
  it('holds pages that own their memory, not slices of a shared slab that a small cached page would keep alive', () => {
    bundles.handOver(0, [committed(USER, 0, 0, 'genesis'), committed(USER, 1, 1, 'update')]);
    const page = cache.get(`identities ${USER} 0`)!;
    expect(page.headIndex).toBe(1);
    expect(page.bytes.length).toBe(page.prefixLength);
    expect(page.bytes.length).toBeLessThan(4096);
    expect(page.bytes.buffer.byteLength).toBe(page.bytes.length);
    const entries = JSON.parse(`${prefixOf(page)}}`).entries as { index: number; record: unknown }[];
    expect(entries.map((e) => [e.index, e.record])).toEqual([0, 1].map((seq) => [seq, { seq, userId: USER, name: 'Zoë 🔑' }]));
  });

  it('keeps the whole answer with its page: served again at the same checkpoint as it was, in memory of its own, with the ETag Express would give it', async () => {
    const held = lookupCache(1 << 20);
    const kept = new ChainBundles(new SubtreeStore(database.db), source, {
      cache: held,
      pageBytes: 64 * 1024,
      keyMap: await MapState.load(database.db),
      lookups: new LookupReads(database.db),
    });
    const first = await kept.bundleJson(ann.userId);
    const again = await kept.bundleJson(ann.userId);
    expect(again.body).toBe(first.body);
    expect(again.etag).toBe(etagOf(first.body));
    expect(JSON.parse(first.body.toString()).entries.at(-1).record).toEqual(ann.records.at(-1));
    // The page holds the answer, which owns its memory and begins with the page's prefix; the cache is charged for the answer and the strings kept with it.
    const page = held.get(`identities ${ann.userId} 0`)!;
    expect(page.bytes).toBe(first.body);
    expect(first.body.toString().startsWith(prefixOf(page))).toBe(true);
    expect(first.body.buffer.byteLength).toBe(first.body.length);
    const note: string = JSON.parse(first.body.toString()).checkpoint;
    expect(held.bytes).toBe(first.body.length + note.length + first.etag.length + KEY_OVERHEAD);
  });

  it('answers the waiters of one round for one page with one answer, made once', async () => {
    const held = lookupCache(1 << 20);
    const kept = new ChainBundles(new SubtreeStore(database.db), source, { cache: held, pageBytes: 64 * 1024, keyMap: await MapState.load(database.db), lookups: new LookupReads(database.db) });
    // A lookup whose round is running, so that the next two wait for the next round together.
    const running = kept.bundleJson('b'.repeat(25)).catch((error: unknown) => error);
    const [one, other] = await Promise.all([kept.bundleJson(ann.userId), kept.bundleJson(ann.userId)]);
    expect(await running).toMatchObject({ code: 'NOT_FOUND' });
    expect(other.body).toBe(one.body);
    expect(other.etag).toBe(one.etag);
    expect(held.get(`identities ${ann.userId} 0`)!.bytes).toBe(one.body);
  });

  it('answers a round whose checkpoint was re-signed at the same size with the new note, and its ETag, over the same proofs', async () => {
    const keyMap = await MapState.load(database.db);
    const kept = new ChainBundles(new SubtreeStore(database.db), source, { cache: lookupCache(1 << 20), pageBytes: 64 * 1024, keyMap, lookups: new LookupReads(database.db) });
    const writer = new LogWriter(database.db, new SubtreeStore(database.db), keyMap, logKey, systemClock);
    try {
      const before = JSON.parse((await kept.bundleJson(ann.userId)).body.toString());
      await writer.refresh(0);
      const resigned = writer.latestCommitted!;
      expect(resigned.note).not.toBe(before.checkpoint);
      const after = await kept.bundleJson(ann.userId);
      const body = JSON.parse(after.body.toString());
      expect(body.checkpoint).toBe(resigned.note);
      expect([body.entries, body.proof, body.mapProof]).toEqual([before.entries, before.proof, before.mapProof]);
      expect(after.etag).toBe(etagOf(after.body));
    } finally {
      await writer.stop();
    }
  });

  it('keeps a newer handed-over page over the older one a round read from a snapshot before its commit', async () => {
    // A hand-over of a head newer than the database's (as a commit after the round's snapshot would be).
    const newer = 1000;
    bundles.handOver(newer, [committed(ann.userId, newer, 0, 'genesis')]);
    const answer = JSON.parse((await bundles.bundleJson(ann.userId)).body.toString());
    expect(answer.entries.at(-1).record).toEqual(ann.records.at(-1));
    expect(cache.get(`identities ${ann.userId} 0`)!.headIndex).toBe(newer);
  });
});

describe("the log writer's hand-over", () => {
  it('acknowledges a committed batch whatever its receiver does, and reports what it threw', async () => {
    const writer = new LogWriter(database.db, new SubtreeStore(database.db), await MapState.load(database.db), logKey, systemClock);
    const failures: unknown[] = [];
    writer.handOverCommitted(
      () => {
        throw new Error('a bug in the receiver');
      },
      (error) => failures.push(error),
    );
    try {
      const written = await writer.append(new Write(identityKind, fastGenesis().head, 'genesis'));
      expect(written.proof.size).toBe(written.index + 1);
      expect(failures).toEqual([new Error('a bug in the receiver')]);
    } finally {
      await writer.stop();
    }
  });
});

describe("the only writer's hand-over", () => {
  it('makes the page of a chain several records of one batch wrote as the database holds it', async () => {
    const keyMap = await MapState.load(database.db);
    const writer = new LogWriter(database.db, new SubtreeStore(database.db), keyMap, logKey, systemClock);
    const reads = (held: LookupCache) => ({ cache: held, pageBytes: 64 * 1024, keyMap, lookups: new LookupReads(database.db) });
    const handedOver = lookupCache(1 << 20);
    const written = new ChainBundles(new SubtreeStore(database.db), source, reads(handedOver));
    const failures: unknown[] = [];
    writer.handOverCommitted(
      (sizeBefore, records) => written.handOver(sizeBefore, records),
      (error) => failures.push(error),
    );
    try {
      const identity = fastGenesis();
      const first = fastRotation(identity);
      const second = fastRotation({ ...identity, head: first });
      // Appended while another batch commits: the three records of one chain go in the next batch together.
      const blocker = writer.append(new Write(identityKind, fastGenesis().head, 'genesis'));
      const appended = await Promise.all([
        writer.append(new Write(identityKind, identity.head, 'genesis')),
        writer.append(new Write(identityKind, first, 'successor')),
        writer.append(new Write(identityKind, second, 'successor')),
      ]);
      await blocker;
      expect(new Set(appended.map((result) => result.proof.size)).size).toBe(1);
      const key = `identities ${identity.head.userId} 0`;
      expect(handedOver.get(key)!.headIndex).toBe(appended[2]!.index);
      // A round of a process holding nothing reads the same page from the database.
      const read = lookupCache(1 << 20);
      await new ChainBundles(new SubtreeStore(database.db), source, reads(read)).bundleJson(identity.head.userId);
      expect(prefixOf(handedOver.get(key)!)).toBe(prefixOf(read.get(key)!));
      // The page ends its chain: both hold its end (what the next hand-over adds to), the same.
      const endOf = ({ entriesAt, items, estimatedBytes }: NonNullable<ReturnType<LookupCache['get']>>) => ({ entriesAt, items, estimatedBytes });
      expect(typeof read.get(key)!.items).toBe('number');
      expect(endOf(handedOver.get(key)!)).toStrictEqual(endOf(read.get(key)!));
      expect(failures).toEqual([]);
    } finally {
      await writer.stop();
    }
  });
});

/** The rounds' reads, counted: a lookup answered without a round reads nothing. */
class CountedReads extends LookupReads {
  rounds = 0;
  override read(...args: Parameters<LookupReads['read']>): ReturnType<LookupReads['read']> {
    this.rounds++;
    return super.read(...args);
  }
}

describe("the only writer's lookups", () => {
  it("are answered from memory while the latest checkpoint's map names the held page's head, or does not hold the id; by a round otherwise", async () => {
    const keyMap = await MapState.load(database.db);
    const writer = new LogWriter(database.db, new SubtreeStore(database.db), keyMap, logKey, systemClock);
    const lookups = new CountedReads(database.db);
    const held = lookupCache(1 << 20);
    const sole = new ChainBundles(new SubtreeStore(database.db), source, { cache: held, pageBytes: 64 * 1024, keyMap, lookups, soleWriterLatest: () => writer.latestCommitted });
    const headOf = (answer: { body: Buffer }) => JSON.parse(answer.body.toString()).entries.at(-1).record;
    try {
      // Before the writer's first commit it knows no latest checkpoint: a round answers, and its page is held.
      const first = await sole.bundleJson(ann.userId);
      const before = JSON.parse(first.body.toString());
      expect(lookups.rounds).toBe(1);
      // Committed: the same checkpoint, the same answer, without a round.
      await writer.refresh(Infinity);
      expect(writer.latestCommitted!.note).toBe(before.checkpoint);
      expect((await sole.bundleJson(ann.userId)).body).toBe(first.body);
      // Re-signed at the same size: the new note over the held proofs, with its ETag.
      await writer.refresh(0);
      const resigned = await sole.bundleJson(ann.userId);
      const after = JSON.parse(resigned.body.toString());
      expect(after.checkpoint).toBe(writer.latestCommitted!.note);
      expect(after.checkpoint).not.toBe(before.checkpoint);
      expect([after.proof, after.mapProof]).toEqual([before.proof, before.mapProof]);
      expect(resigned.etag).toBe(etagOf(resigned.body));
      // An id the map does not hold: a 404 with the latest checkpoint and the map's proof of absence.
      await expect(sole.bundleJson('c'.repeat(25))).rejects.toMatchObject({ code: 'NOT_FOUND', extensions: { checkpoint: writer.latestCommitted!.note, mapProof: expect.any(String) } });
      expect(lookups.rounds).toBe(1);

      // A chain written with no hand-over to these pages: the map names a head whose page is not held, so a round reads it.
      const identity = fastGenesis();
      await writer.append(new Write(identityKind, identity.head, 'genesis'));
      expect(headOf(await sole.bundleJson(identity.head.userId))).toEqual(identity.head);
      expect(lookups.rounds).toBe(2);
      // Its next record: the held page is at the old head, which the map no longer names, so a round again.
      const rotation = fastRotation(identity);
      await writer.append(new Write(identityKind, rotation, 'successor'));
      expect(headOf(await sole.bundleJson(identity.head.userId))).toEqual(rotation);
      expect(lookups.rounds).toBe(3);
      // Held at the new head: from memory.
      expect(headOf(await sole.bundleJson(identity.head.userId))).toEqual(rotation);
      expect(lookups.rounds).toBe(3);
    } finally {
      await writer.stop();
    }
  });
});
