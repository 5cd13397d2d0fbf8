// Three registry processes on one Postgres database (DESIGN.md §9): appends are serialised by the
// database, never by process memory, so concurrent writes through all three leave one log — no
// gap, no duplicate index, one root per checkpoint size, every receipt verified against its
// checkpoint, every checkpoint consistent with the next, and a log that verifies end to end.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase } from '../../src/db/database.js';
import { auditLog } from '../../src/db/log-audit.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { formatVerifierKey, parseVerifierKey, type NoteKey } from '../../src/protocol/checkpoint.js';
import { FollowerFeed } from '../../src/mirror/follower-feed.js';
import { fromBase64Url, toBase64, toBase64Url } from '../../src/protocol/encoding.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { verifyConsistency } from '../../src/protocol/merkle.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { verifyCheckpoint, verifyWriteResult, type VerifiedCheckpoint } from '../../src/sdk/verify.js';
import { startChildRegistry, type ChildRegistry } from '../helpers/child-registry.js';
import { postgresUrl, sql } from '../helpers/database.js';
import { api, type Reply } from '../helpers/http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';

const ORIGIN = 'three.test/peerkeys';
const seed = new Uint8Array(randomBytes(32));
const schema = `three_${randomBytes(6).toString('hex')}`;
let children: ChildRegistry[] = [];
let key: NoteKey;

beforeAll(async () => {
  await sql(postgresUrl()!, `CREATE SCHEMA "${schema}"`);
  // Started together: each migrates the shared schema at start, one at a time under an advisory lock.
  const env = { LOG_SIGNING_KEY: toBase64Url(seed), LOG_ORIGIN: ORIGIN };
  const started = await Promise.allSettled([0, 1, 2].map(() => startChildRegistry(env, { schema })));
  children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  key = parseVerifierKey((await api(children[0]!.url).get('/v1/registry')).body.vkey)!;
}, 180_000);

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  await sql(postgresUrl()!, `DROP SCHEMA "${schema}" CASCADE`);
}, 60_000);

/** A write that was acknowledged, with the record it was for. */
interface Receipt {
  record: IdentityRecord;
  reply: Reply;
}

const through = (i: number) => api(children[i % 3]!.url);

describe('three registry processes on one database', () => {
  it('append concurrent writes to one log', async () => {
    const receipts: Receipt[] = [];
    // Geneses, spread over the three processes and sent all at once.
    const people: TestIdentity[] = await Promise.all(Array.from({ length: 90 }, () => newIdentity({ quickKeys: true })));
    const created = await Promise.all(people.map(async (person, i) => ({ record: person.head, reply: await through(i).post('/v1/users', person.head) })));
    expect(created.map((r) => r.reply.status)).toEqual(created.map(() => 201));
    receipts.push(...created);

    // Races across processes: three successors of one head, each through another process. The
    // chain rules are decided under the log's lock, so exactly one wins; the others are 409.
    const racers = people.slice(0, 10);
    const rounds = await Promise.all(
      racers.map(async (person) => {
        const rivals = await Promise.all([0, 1, 2].map(() => nextRecord(person, { signingKey: generateSigningKeyPair() })));
        return Promise.all(rivals.map(async (record, i) => ({ record, reply: await through(i).post(`/v1/users/${person.userId}`, record) })));
      }),
    );
    for (const round of rounds) {
      expect(round.map((r) => r.reply.status).sort()).toEqual([200, 409, 409]);
      for (const lost of round.filter((r) => r.reply.status === 409)) expect(lost.reply.body.code).toBe('PREV_MISMATCH');
      receipts.push(round.find((r) => r.reply.status === 200)!);
    }

    // No gap, no duplicate index: the acknowledged indexes are exactly 0..n-1.
    const indexes = receipts.map((r) => r.reply.body.index as number).sort((a, b) => a - b);
    expect(indexes).toEqual(receipts.map((_, i) => i));

    // Every receipt verifies: the checkpoint's signature, and the record's inclusion in it.
    const checkpoints = new Map<number, VerifiedCheckpoint>();
    for (const { record, reply } of receipts) {
      const { checkpoint } = await verifyWriteResult(reply.body, record, key, nodeVerify);
      // One root (and one map root, where checkpoints carry one) per checkpoint size.
      const seen = checkpoints.get(checkpoint.size);
      if (seen !== undefined) {
        expect(toBase64(checkpoint.root)).toBe(toBase64(seen.root));
        expect(checkpoint.mapRoot === undefined ? null : toBase64(checkpoint.mapRoot)).toBe(seen.mapRoot === undefined ? null : toBase64(seen.mapRoot));
      }
      checkpoints.set(checkpoint.size, checkpoint);
    }

    // Every process now serves the same latest checkpoint, and every checkpoint a receipt carried
    // is consistent with the next larger one (proofs asked of each process in turn): one history.
    const latest = await Promise.all(children.map(async (child) => verifyCheckpoint((await api(child.url).get('/v1/log/checkpoint')).text, key, nodeVerify)));
    expect(latest.map((c) => c.size)).toEqual([receipts.length, receipts.length, receipts.length]);
    expect(new Set(latest.map((c) => toBase64(c.root))).size).toBe(1);
    checkpoints.set(latest[0]!.size, latest[0]!);
    const sizes = [...checkpoints.keys()].sort((a, b) => a - b);
    for (const [i, size] of sizes.slice(0, -1).entries()) {
      const next = sizes[i + 1]!;
      const proof = await through(i).get(`/v1/log/proof/consistency?from=${size}&to=${next}`);
      expect(proof.status).toBe(200);
      const hashes = (proof.body.hashes as string[]).map((h) => fromBase64Url(h, 32)!);
      expect(verifyConsistency(size, next, hashes, checkpoints.get(size)!.root, checkpoints.get(next)!.root)).toBe(true);
    }
    expect(sizes.length).toBeGreaterThan(1);

    // The tiles of another process give the same log, every bundle checked against the root.
    const feed = new FollowerFeed({ url: children[1]!.url, vkey: formatVerifierKey(key) });
    const { size } = await feed.checkpoint();
    let read = 0;
    for await (const page of feed.pages(0, size)) read += page.length;
    expect(read).toBe(receipts.length);

    // The log verifies end to end (what `peerkeys verify-log` runs): every record, every stored
    // subtree, every checkpoint's root and signature, the tables against the replayed state.
    const db = await openDatabase({ kind: 'postgres', url: postgresUrl()!, schema, poolSize: 2 });
    try {
      const report = await auditLog(db, logKeyFromSeed(ORIGIN, seed));
      expect(report.problems).toEqual([]);
      expect(report.entries).toBe(receipts.length);
    } finally {
      await db.close();
    }
  });
});
