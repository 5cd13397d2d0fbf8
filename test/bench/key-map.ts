/**
 * `npx tsx test/bench/key-map.ts`: the key map (docs/DESIGN.md §5.2) at 100,000 identities — building
 * it from scratch out of log entries, proof sizes, proofs made and verified per second, and batch
 * updates (many keys per checkpoint, the root after each batch). A benchmark, not a test: it prints.
 *
 * The records are shaped like real identity records (same fields and sizes) but their keys and
 * signatures are random bytes: the fold hashes records and never verifies them, so signing 100,000
 * records would only measure Ed25519. KEY_MAP_IDENTITIES changes the count; KEY_MAP_REFERENCE=1
 * measures the tree before its arena (test/helpers/key-map-reference.ts) instead; KEY_MAP_BATCHES
 * and KEY_MAP_BATCH_SIZE the batch phase. Run with
 * `node --expose-gc --import tsx` for the memory figures without garbage.
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../src/protocol/hash.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import type { Arena } from '../../src/protocol/key-map-arena.js';
import { KeyMap } from '../../src/protocol/key-map-tree.js';
import { mapUpdatesOf } from '../../src/protocol/key-map-fold.js';
import { decodeMapProof, verifyMapProof, type MapKey } from '../../src/protocol/key-map.js';
import type { LogEntry } from '../../src/protocol/log-entry.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { ReferenceKeyMap } from '../helpers/key-map-reference.js';

const IDENTITIES = Number(process.env.KEY_MAP_IDENTITIES ?? 100_000);
const REFERENCE = process.env.KEY_MAP_REFERENCE === '1';
const newMap = (): KeyMap => (REFERENCE ? (new ReferenceKeyMap() as unknown as KeyMap) : new KeyMap());
/** Versions kept while batches are applied: as server/log/map-state.ts keeps. */
const VERSIONS = 64;
const SAMPLE = 20_000;
const BATCHES = Number(process.env.KEY_MAP_BATCHES ?? 50);
const BATCH_SIZE = Number(process.env.KEY_MAP_BATCH_SIZE ?? 1_000);
const T0 = Date.parse('2026-11-24T21:00:00.000Z');

const userId = (n: number) => `00mwv6hp${n.toString(36).padStart(17, '0')}`;

function identityRecord(n: number, seq: number, index: number): IdentityRecord {
  const random = randomBytes(352); // one call per record: the fields below take 32 or 64 bytes each
  let at = 0;
  const b64 = (length: number) => toBase64Url(random.subarray(at, (at += length)));
  return {
    type: 'identity',
    userId: userId(n),
    seq,
    prev: seq === 0 ? null : b64(32),
    publicKey: b64(32),
    publicBoxKey: b64(32),
    rotationKeys: [b64(32), b64(32)],
    status: 'active',
    createdAt: formatTimestamp(T0 + index),
    publicKeyProof: b64(64),
    signer: b64(32),
    sig: b64(64),
  };
}

function entry(index: number, record: IdentityRecord): LogEntry<IdentityRecord> {
  return { index, acceptedAt: record.createdAt, record };
}

function time<T>(run: () => T): [T, number] {
  const started = performance.now();
  const result = run();
  return [result, performance.now() - started];
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (label: string, value: string) => console.log(`${label.padEnd(52)}${value}`);

// Context: the hash every figure below is made of.
{
  const input = new Uint8Array(84);
  const [, ms] = time(() => {
    for (let i = 0; i < 200_000; i++) {
      input[0] = i;
      sha256(input);
    }
  });
  row('SHA-256 of 84 bytes (@noble/hashes), per second', fmt(200_000 / (ms / 1000)));
}

// ---- build from scratch ----
const [entries, generateMs] = time(() => Array.from({ length: IDENTITIES }, (_, i) => entry(i, identityRecord(i, 0, i))));
console.log(`\n${fmt(IDENTITIES)} identity genesis records (made in ${fmt(generateMs / 1000, 1)} s, not counted)`);
/** Heap in use and array buffers (the arena's typed arrays are outside the heap), after a full collection when the bench runs with --expose-gc. */
const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = () => {
  gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};
const arenaOf = (m: KeyMap) => (REFERENCE ? '' : ` (arena: ${fmt(m.arenaStats().branches)} branches, ${fmt(m.arenaStats().leaves)} leaves, ${fmt(m.arenaStats().bytes / 2 ** 20, 1)} MiB reserved)`);
const [updates, foldMs] = time(() => [...mapUpdatesOf(entries)]);
const heapBefore = heapUsed();
const map = newMap();
console.log(REFERENCE ? 'the reference tree (one object per node)' : 'KeyMap (nodes in an arena)');
const [root, treeMs] = time(() => map.apply(updates));
row('fold: JCS + SHA-256 of each record', `${fmt(foldMs / 1000, 2)} s`);
row('tree: paths, inserts and every hash up to the root', `${fmt(treeMs / 1000, 2)} s`);
row(`build from scratch, total (target < 30 s)`, `${fmt((foldMs + treeMs) / 1000, 2)} s`);
const mapHeld = heapUsed() - heapBefore;
row(
  gc === undefined ? 'memory held by the map (no --expose-gc: garbage included)' : 'memory held by the map (heap + array buffers)',
  `${fmt(mapHeld / 2 ** 20, 1)} MiB${arenaOf(map)}`,
);
console.log(`root ${Buffer.from(root).toString('hex')}`);

// ---- proofs ----
const presentKeys: MapKey[] = Array.from({ length: SAMPLE }, () => ({ kind: 'user', id: userId(Math.floor(Math.random() * IDENTITIES)) }));
const absentKeys: MapKey[] = Array.from({ length: SAMPLE }, (_, i) => ({ kind: i % 2 === 0 ? 'user' : 'group', id: userId(IDENTITIES + i) }));

const [presentProofs, proveMs] = time(() => presentKeys.map((key) => map.proveBytes(key)));
const absentProofs = absentKeys.map((key) => map.proveBytes(key));
const [, verifyMs] = time(() => {
  presentKeys.forEach((key, i) => {
    if (verifyMapProof(root, key, presentProofs[i]!) === null) throw new Error('a present key verified as absent');
  });
});
const [, verifyAbsentMs] = time(() => {
  absentKeys.forEach((key, i) => {
    if (verifyMapProof(root, key, absentProofs[i]!) !== null) throw new Error('an absent key verified as present');
  });
});

function sizes(label: string, proofs: Uint8Array[]): void {
  const lengths = proofs.map((p) => p.length);
  const depths = proofs.map((p) => decodeMapProof(p).siblings.length);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  row(`${label} proof size, average / max (target < 1 KB)`, `${fmt(avg(lengths))} / ${fmt(Math.max(...lengths))} bytes`);
  row(`${label} proof depth, average / max`, `${fmt(avg(depths), 1)} / ${Math.max(...depths)}`);
}
console.log(`\nproofs over ${fmt(SAMPLE)} random keys of each kind`);
sizes('present key:', presentProofs);
sizes('absent key: ', absentProofs);
row('proofs made per second (present keys)', fmt(SAMPLE / (proveMs / 1000)));
row('proofs verified per second (present keys)', fmt(SAMPLE / (verifyMs / 1000)));
row('proofs verified per second (absent keys)', fmt(SAMPLE / (verifyAbsentMs / 1000)));

// ---- batches ----
// Each batch: 90% rotations of existing identities, 10% new ones; fold, apply to a fork of the
// newest version, and the new root. The newest VERSIONS versions are kept, as map-state.ts does.
const versions: KeyMap[] = [map];
const beforeBatches = heapUsed();
let nextIndex = IDENTITIES;
let nextUser = IDENTITIES + SAMPLE;
const batchTimes: number[] = [];
const treeTimes: number[] = [];
for (let b = 0; b < BATCHES; b++) {
  const batch = Array.from({ length: BATCH_SIZE }, (_, i) => {
    const n = i % 10 === 9 ? nextUser++ : Math.floor(Math.random() * IDENTITIES);
    const index = nextIndex++;
    return entry(index, identityRecord(n, 1, index));
  });
  const [, ms] = time(() => {
    const batchUpdates = [...mapUpdatesOf(batch, batch[0]!.index)];
    const [, tree] = time(() => {
      const next = versions.at(-1)!.fork();
      next.apply(batchUpdates);
      versions.push(next);
      if (versions.length > VERSIONS) versions.shift();
    });
    treeTimes.push(tree);
  });
  batchTimes.push(ms);
  // A server applies each batch in a task of its own; a dropped version's nodes return to the
  // arena only after V8 has collected it, which a WeakRef sees only once the current task ends.
  await new Promise((resolve) => setImmediate(resolve));
}
const total = batchTimes.reduce((a, b) => a + b, 0);
const tree = treeTimes.reduce((a, b) => a + b, 0);
console.log(`\n${BATCHES} batches of ${fmt(BATCH_SIZE)} updates (90% rotations, 10% new identities), each on a fork of the last, root after each`);
row('updates per second, fold + tree + root', fmt((BATCHES * BATCH_SIZE) / (total / 1000)));
row('updates per second, tree + root alone', fmt((BATCHES * BATCH_SIZE) / (tree / 1000)));
row('ms per batch, average / max', `${fmt(total / BATCHES, 1)} / ${fmt(Math.max(...batchTimes), 1)}`);
row('keys in the map at the end', fmt(versions.at(-1)!.size));
if (!REFERENCE) {
  // What a collection costs when the arena starts one in an update: every live node marked and
  // moved down. After a full collection of V8's (with --expose-gc) and the end of this task, so
  // that the dropped versions are collected and their nodes freed.
  heapUsed();
  await new Promise((resolve) => setImmediate(resolve));
  heapUsed();
  const [, collectMs] = time(() => (versions.at(-1) as unknown as { arena: Arena }).arena.compact());
  row('a collection of the arena (the live nodes marked and moved)', `${fmt(collectMs, 1)} ms`);
}
row(
  `memory held by the last ${Math.min(VERSIONS, versions.length)} versions`,
  `${fmt((heapUsed() - beforeBatches + mapHeld) / 2 ** 20, 1)} MiB${arenaOf(versions.at(-1)!)}`,
);
