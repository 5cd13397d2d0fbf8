// DESIGN.md §5: after many random writes every proof the registry gave verifies, its checkpoints
// are consistent with each other, and anyone can recompute the root from the public entries.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseCheckpointText, parseSignedNote, verifyCheckpointNote, type Checkpoint } from '../../src/protocol/checkpoint.js';
import { fromBase64Url, toBase64Url } from '../../src/protocol/encoding.js';
import { logLeafHash } from '../../src/protocol/log-entry.js';
import { appendToFrontier, rootFromFrontier, verifyConsistency, verifyInclusion, type StoredSubtree } from '../../src/protocol/merkle.js';
import type { VerifySignature } from '../../src/protocol/signing.js';
import { auditLog } from '../../src/db/log-audit.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { cleanEnv, peerkeys, ROOT } from '../helpers/cli.js';
import { postgresUrl } from '../helpers/database.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord, quickSigningKeyPair, type TestIdentity } from '../helpers/identities.js';
import { startTestRegistry, useTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

// 250 writes by default (a tree eight levels deep, every proof shape); CI and `npm run test:long`
// write 1,000 (LOG_TEST_WRITES).
const WRITES = Number(process.env['LOG_TEST_WRITES'] ?? 250);
// This suite is about the log, not about a verifier: checkpoints are checked, and keys made, with
// Node's Ed25519 (the SDK's pure-JS verifier has suites of its own, and agrees with this one:
// test/unit/node-ed25519.test.ts).
const verify: VerifySignature = nodeVerify;

const registry = useTestRegistry();
const client = api(() => registry.app);

/** A small deterministic generator, so a failing run can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function checkpointOf(note: string): Promise<Checkpoint> {
  const checkpoint = await verifyCheckpointNote(note, registry.service.logKey.noteKey, verify);
  expectWith(checkpoint, 'checkpoint signed by the registry key').not.toBeNull();
  return checkpoint!;
}

describe(`the log after ${WRITES} random writes`, () => {
  const identities: TestIdentity[] = [];
  const checkpoints = new Map<number, Checkpoint>();

  beforeAll(async () => {
    const next = random(20261124);
    let written = 0;
    while (written < WRITES) {
      // A round: some new identities and some successors of existing heads, all in flight at once.
      type Write = { identity: TestIdentity; record: TestIdentity['head']; path: string; signing?: TestIdentity['signing']; rotation?: TestIdentity['rotation'] };
      const round: Write[] = [];
      const busy = new Set<TestIdentity>();
      const size = Math.min(WRITES - written, 40);
      while (round.length < size) {
        const live = identities.filter((i) => i.head.status === 'active' && !busy.has(i));
        if (live.length === 0 || next() < 0.3) {
          const identity = await newIdentity({ rotationKeys: 1 + Math.floor(next() * 3) });
          round.push({ identity, record: identity.head, path: '/v1/users' });
          busy.add(identity);
          continue;
        }
        const identity = live[Math.floor(next() * live.length)]!;
        const path = `/v1/users/${identity.userId}`;
        const roll = next();
        if (roll < 0.5) {
          const signing = quickSigningKeyPair();
          round.push({ identity, path, signing, record: await nextRecord(identity, { signingKey: signing }) });
        } else if (roll < 0.8) {
          round.push({ identity, path, record: await nextRecord(identity, { name: `name ${written + round.length}` }) });
        } else if (roll < 0.97) {
          const rotation = [quickSigningKeyPair(), ...identity.rotation].slice(0, 5);
          const record = await nextRecord(identity, { rotationKeys: rotation.map((k) => k.publicKey), signer: identity.rotation[0]! });
          round.push({ identity, path, rotation, record });
        } else {
          round.push({ identity, path, record: await nextRecord(identity, { status: 'revoked' }) });
        }
        busy.add(identity);
      }
      const replies = await Promise.all(round.map((w) => client.post(w.path, w.record)));
      for (const [i, reply] of replies.entries()) {
        expectWith(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
        const { identity, record, signing, rotation } = round[i]!;
        if (record.seq === 0) identities.push(identity);
        else identity.records.push(record);
        if (signing !== undefined) identity.signing = signing;
        if (rotation !== undefined) identity.rotation = rotation;
        // Every write's own proof verifies against the checkpoint it came with.
        const checkpoint = await checkpointOf(reply.body.checkpoint);
        checkpoints.set(checkpoint.size, checkpoint);
        expect(reply.body.proof.size).toBe(checkpoint.size);
        const leaf = logLeafHash(reply.body.acceptedAt, record);
        const proof = reply.body.proof.hashes.map((h: string) => fromBase64Url(h, 32)!);
        expect(verifyInclusion(reply.body.index, checkpoint.size, leaf, proof, checkpoint.root)).toBe(true);
      }
      written += round.length;
    }
  }, 600_000);

  it('every lookup’s proof verifies against the checkpoint it carries', async () => {
    for (const identity of identities) {
      const bundle = (await client.get(`/v1/users/${identity.userId}`)).body;
      const checkpoint = await checkpointOf(bundle.checkpoint);
      const head = bundle.entries[bundle.entries.length - 1];
      expect(head.record).toEqual(identity.head);
      const proof = bundle.proof.hashes.map((h: string) => fromBase64Url(h, 32)!);
      expect(verifyInclusion(bundle.proof.index, checkpoint.size, logLeafHash(head.acceptedAt, head.record), proof, checkpoint.root)).toBe(true);
    }
  });

  it('a consistency proof between checkpoints issued during the run verifies: every consecutive pair, and all pairs of 40 spread over the run', async () => {
    const sizes = [...checkpoints.keys()].sort((a, b) => a - b);
    expect(sizes.length).toBeGreaterThan(10);
    const pairs: Array<[number, number]> = [];
    for (let i = 1; i < sizes.length; i++) pairs.push([sizes[i - 1]!, sizes[i]!]);
    const spread = Array.from({ length: Math.min(40, sizes.length) }, (_, i) => sizes[Math.round((i * (sizes.length - 1)) / Math.max(1, Math.min(40, sizes.length) - 1))]!);
    for (let i = 0; i < spread.length; i++) for (let j = i + 2; j < spread.length; j++) pairs.push([spread[i]!, spread[j]!]);
    for (let i = 0; i < pairs.length; i += 50) {
      await Promise.all(
        pairs.slice(i, i + 50).map(async ([from, to]) => {
          const reply = await client.get(`/v1/log/proof/consistency?from=${from}&to=${to}`);
          const proof = reply.body.hashes.map((h: string) => fromBase64Url(h, 32)!);
          expectWith(verifyConsistency(from, to, proof, checkpoints.get(from)!.root, checkpoints.get(to)!.root), `${from}→${to}`).toBe(true);
        }),
      );
    }
  });

  it('the root recomputed from /v1/log/entries equals the latest checkpoint’s root', async () => {
    const latest = parseCheckpointText(parseSignedNote((await client.get('/v1/log/checkpoint')).text)!.text)!;
    let frontier: StoredSubtree[] = [];
    let start = 0;
    for (;;) {
      const page = (await client.get(`/v1/log/entries?start=${start}&limit=1000`)).body.entries;
      if (page.length === 0) break;
      frontier = appendToFrontier(frontier, page.map((e: { acceptedAt: string; record: object }) => logLeafHash(e.acceptedAt, e.record))).frontier;
      start += page.length;
    }
    expect(start).toBe(latest.size);
    expect(toBase64Url(rootFromFrontier(frontier))).toBe(toBase64Url(latest.root));
  });

  it('verify-log passes on the untouched log', async () => {
    const report = await auditLog(registry.database.db, registry.service.logKey);
    expect(report.problems).toEqual([]);
    expect(report.entries).toBeGreaterThanOrEqual(WRITES);
  });
});

describe('verify-log catches tampering in the database', () => {
  it('names the index of a record changed by one byte, and of a changed leaf hash', async () => {
    const prisma = registry.database.db.prisma;
    const target = 7;
    const row = await prisma.logEntry.findUniqueOrThrow({ where: { index: BigInt(target) } });
    const at = row.record.indexOf('"sig":"') + 10;
    const flipped = row.record.slice(0, at) + (row.record[at] === 'A' ? 'B' : 'A') + row.record.slice(at + 1);
    await prisma.logEntry.update({ where: { index: BigInt(target) }, data: { record: flipped } });
    const recordReport = await auditLog(registry.database.db, registry.service.logKey);
    expect(recordReport.problems.length).toBeGreaterThan(0);
    // Nothing before the changed entry is blamed, except the stored subtrees that hold it (each
    // named by its first entry; reported once a page of entries is read, so only when the report
    // has room left for them).
    const holdsTarget = (message: string) => {
      const span = /subtree over entries (\d+)–(\d+)/.exec(message);
      return span !== null && Number(span[1]) <= target && target <= Number(span[2]);
    };
    expect(recordReport.problems.filter((p) => p.index !== null && p.index < target && !holdsTarget(p.message))).toEqual([]);
    expect(recordReport.problems[0]!.index).toBe(target);
    await prisma.logEntry.update({ where: { index: BigInt(target) }, data: { record: row.record } });
    expect((await auditLog(registry.database.db, registry.service.logKey)).problems).toEqual([]);

    const leafIndex = 12;
    const leaf = await prisma.logNode.findUniqueOrThrow({ where: { level_index: { level: 0, index: BigInt(leafIndex) } } });
    const changed = new Uint8Array(leaf.hash);
    changed[0]! ^= 1;
    await prisma.logNode.update({ where: { level_index: { level: 0, index: BigInt(leafIndex) } }, data: { hash: changed } });
    const leafReport = await auditLog(registry.database.db, registry.service.logKey);
    expect(leafReport.problems.map((p) => p.index)).toContain(leafIndex);
    await prisma.logNode.update({ where: { level_index: { level: 0, index: BigInt(leafIndex) } }, data: { hash: leaf.hash } });
  });

  // The command reads the database itself: the suite's schema, on DATABASE_URL or the embedded server.
  (postgresUrl() !== null ? it : it.skip)('the verify-log command exits 1 and prints the index', async () => {
    const prisma = registry.database.db.prisma;
    const row = await prisma.logEntry.findUniqueOrThrow({ where: { index: 3n } });
    await prisma.logEntry.update({ where: { index: 3n }, data: { record: row.record.replace('"seq":', '"seq" :') } });
    const env = cleanEnv({
      DATABASE_URL: registry.database.url!,
      DATABASE_SCHEMA: registry.database.schema!,
      LOG_SIGNING_KEY: toBase64Url(registry.logSeed),
      LOG_ORIGIN: registry.config.log.origin,
    });
    const failure = await peerkeys(['verify-log'], { cwd: ROOT, env });
    expectWith(failure.code, failure.stderr).toBe(1);
    expect(failure.stdout).toMatch(/^index 3: /m);
    await prisma.logEntry.update({ where: { index: 3n }, data: { record: row.record } });
    const success = await peerkeys(['verify-log'], { cwd: ROOT, env });
    expectWith(success.code, success.stderr).toBe(0);
    expect(success.stderr).toMatch(/log verified/);
  });
});

describe('the log key', () => {
  it('a registry refuses to start on a log that another key signed, and starts with the key that signed it', async () => {
    const other = startTestRegistry({ database: registry.database });
    await expect(other).rejects.toThrow(/not signed by the configured log key/);
    const same = await startTestRegistry({ listen: false, database: registry.database, logSeed: registry.logSeed });
    expect((await same.api.get('/v1/log/checkpoint')).status).toBe(200);
    await same.close();
  });
});
