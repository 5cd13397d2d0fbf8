// The key map (docs/DESIGN.md §5.2): the frozen vectors of test/vectors/key-map/, the fold from log
// entries, and properties over random maps checked against a reference written from the doc's
// definition with node:crypto (not with the module's own hash functions).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { concatBytes, toHex, utf8 } from '../../src/protocol/encoding.js';
import { KeyMapError, type KeyMapErrorCode } from '../../src/protocol/errors.js';
import { IdentityReplay, type IdentityLogEntry } from '../../src/protocol/identity-rules.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { KeyMap } from '../../src/protocol/key-map-tree.js';
import { keyMapOf, mapUpdateOf, mapUpdatesOf, type MapRecord } from '../../src/protocol/key-map-fold.js';
import {
  decodeMapProof,
  decodeMapValue,
  encodeMapKey,
  encodeMapProof,
  encodeMapValue,
  mapKeyPath,
  mapLeafHash,
  mapNodeHash,
  MAP_EMPTY_HASH,
  verifyMapProof,
  type MapKey,
  type MapUpdate,
  type MapValue,
} from '../../src/protocol/key-map.js';
import type { LogEntry } from '../../src/protocol/log-entry.js';
import { recordHash } from '../../src/protocol/signing.js';
import { parseTimestamp } from '../../src/protocol/time.js';
import { codeOfThrown } from '../helpers/errors.js';
import { mapValueArb } from '../helpers/map-arbitraries.js';
import {
  buildAll,
  fromHex,
  loadVector,
  testId,
  valueFromJson,
  verifyCode,
  VECTOR_FILES,
  type EncodingsFile,
  type InvalidProofsFile,
  type LogFoldFile,
  type MapsFile,
} from '../vectors/key-map/cases.js';

const encodings = loadVector<EncodingsFile>('encodings.json');
const maps = loadVector<MapsFile>('maps.json');
const invalidProofs = loadVector<InvalidProofsFile>('invalid-proofs.json');
const logFold = loadVector<LogFoldFile>('log-fold.json');

/** The KeyMapError code `run` throws, or 'ok'; any other exception fails the test. */
const mapCode = (run: () => unknown): KeyMapErrorCode | 'ok' => codeOfThrown(KeyMapError, run);

const valueJson = (v: MapValue | null) => (v === null ? null : { recordHash: toHex(v.recordHash), index: v.index, seq: v.seq, status: v.status });

describe('key-map vectors: encodings.json', () => {
  it('encodes keys and derives their paths', () => {
    for (const k of encodings.keys) {
      expect(toHex(encodeMapKey(k))).toBe(k.keyBytes);
      expect(toHex(mapKeyPath(k))).toBe(k.path);
    }
  });

  it('encodes values and decodes them back, and the empty hash is 32 zero bytes', () => {
    expect(toHex(MAP_EMPTY_HASH)).toBe(encodings.emptyHash);
    for (const { valueBytes, ...value } of encodings.values) {
      expect(toHex(encodeMapValue(valueFromJson(value)))).toBe(valueBytes);
      expect(valueJson(decodeMapValue(fromHex(valueBytes)))).toEqual(value);
    }
  });

  it('hashes leaves and nodes', () => {
    for (const l of encodings.leafHashes) expect(toHex(mapLeafHash(fromHex(l.path), fromHex(l.valueBytes)))).toBe(l.hash);
    for (const n of encodings.nodeHashes) expect(toHex(mapNodeHash(fromHex(n.left), fromHex(n.right)))).toBe(n.hash);
  });

  it('refuses the invalid keys and value bytes with their codes', () => {
    for (const k of encodings.invalidKeys) expect(mapCode(() => encodeMapKey(k as MapKey))).toBe(k.code);
    for (const v of encodings.invalidValues) expect([v.why, mapCode(() => decodeMapValue(fromHex(v.valueBytes)))]).toEqual([v.why, v.code]);
  });
});

describe('key-map vectors: maps.json', () => {
  it.each(maps.maps.map((m) => [m.name, m] as const))('%s: the root after each batch, and every proof', (_name, m) => {
    const map = new KeyMap();
    for (const batch of m.batches) {
      expect(toHex(map.apply(batch.updates.map((u) => ({ key: u.key, value: valueFromJson(u.value) }))))).toBe(batch.root);
    }
    const root = fromHex(m.batches[m.batches.length - 1]!.root);
    for (const p of m.proofs) {
      expect(toHex(map.proveBytes(p))).toBe(p.proof);
      expect(decodeMapProof(fromHex(p.proof)).terminal.kind).toBe(p.terminal);
      expect(valueJson(verifyMapProof(root, p, fromHex(p.proof)))).toEqual(p.value);
      expect(valueJson(map.get(p))).toEqual(p.value);
    }
  });

  it('cover every terminal, and empty siblings in a bitmap', () => {
    const proofs = maps.maps.flatMap((m) => m.proofs);
    expect(new Set(proofs.map((p) => p.terminal))).toEqual(new Set(['present', 'empty', 'other']));
    expect(proofs.some((p) => decodeMapProof(fromHex(p.proof)).siblings.some((s) => s.every((b) => b === 0)))).toBe(true);
  });
});

describe('key-map vectors: invalid-proofs.json', () => {
  it.each(invalidProofs.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(verifyCode(c.root, c.key, c.proof)).toBe(c.code);
  });
});

describe('key-map vectors: log-fold.json', () => {
  const entries = logFold.entries.map(({ index, acceptedAt, record }) => ({ index, acceptedAt, record }));

  it('each entry makes its update, and the root after the first N entries is the vector’s', () => {
    const map = new KeyMap();
    [...mapUpdatesOf(entries)].forEach((update, i) => {
      expect({ key: update.key, value: valueJson(update.value) }).toEqual(logFold.entries[i]!.update);
      expect(toHex(map.apply([update]))).toBe(logFold.entries[i]!.root);
    });
    expect(toHex(keyMapOf(entries).root())).toBe(logFold.entries.at(-1)!.root);
  });

  it('proves every key’s head against the last root', () => {
    const map = keyMapOf(entries);
    const root = fromHex(logFold.entries.at(-1)!.root);
    for (const p of logFold.proofs) {
      expect(toHex(map.proveBytes(p))).toBe(p.proof);
      expect(valueJson(verifyMapProof(root, p, fromHex(p.proof)))).toEqual(p.value);
    }
  });

  it('agrees with the chain rules: after every entry each user’s value is the live head IdentityReplay keeps, recovery included', () => {
    const replays = new Map<string, IdentityReplay>();
    const map = new KeyMap();
    let recoveries = 0;
    for (const entry of entries) {
      map.apply([mapUpdateOf(entry)]);
      if (entry.record.type !== 'identity') continue;
      const record = entry.record as IdentityRecord;
      const replay = replays.get(record.userId) ?? new IdentityReplay();
      replays.set(record.userId, replay);
      const applied: IdentityLogEntry = { record, hash: recordHash(record), acceptedAt: parseTimestamp(entry.acceptedAt)!, index: entry.index };
      if (replay.apply(applied)?.kind === 'recovery') recoveries++;
      for (const [userId, r] of replays) {
        const head = r.live.at(-1)!;
        const value = map.get({ kind: 'user', id: userId })!;
        expect([userId, value.index, value.seq, value.status, toHex(value.recordHash)]).toEqual([
          userId,
          head.index,
          head.record.seq,
          head.record.status,
          toHex(fromBase64UrlHash(head.hash)),
        ]);
      }
    }
    expect(recoveries).toBe(1);
  });

  it('are exactly what test/vectors/key-map/generate.ts makes', async () => {
    const built = await buildAll();
    for (const name of VECTOR_FILES) expect([name, JSON.parse(JSON.stringify(built[name]))]).toEqual([name, loadVector(name)]);
  });
});

function fromBase64UrlHash(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

describe('the fold', () => {
  const entries = logFold.entries.map(({ index, acceptedAt, record }) => ({ index, acceptedAt, record }));
  const first = entries[0]!;

  it('continues from a snapshot: folding the rest from its index gives the same root', () => {
    const map = new KeyMap();
    map.apply(mapUpdatesOf(entries.slice(0, 5)));
    map.apply(mapUpdatesOf(entries.slice(5), 5));
    expect(toHex(map.root())).toBe(logFold.entries.at(-1)!.root);
  });

  it('refuses entries out of order, with a gap or a repeat: MAP_ENTRY_INVALID', () => {
    expect(mapCode(() => [...mapUpdatesOf([entries[1]!, entries[0]!])])).toBe('MAP_ENTRY_INVALID');
    expect(mapCode(() => [...mapUpdatesOf([entries[0]!, entries[2]!])])).toBe('MAP_ENTRY_INVALID');
    expect(mapCode(() => [...mapUpdatesOf([entries[0]!, entries[0]!])])).toBe('MAP_ENTRY_INVALID');
    expect(mapCode(() => [...mapUpdatesOf(entries.slice(5))])).toBe('MAP_ENTRY_INVALID');
  });

  it('refuses a record it cannot read: MAP_ENTRY_INVALID, never another error', () => {
    const withRecord = (record: unknown): LogEntry<MapRecord> => ({ ...first, record: record as MapRecord });
    const bad: unknown[] = [
      { ...first.record, type: 'device' },
      { ...first.record, type: undefined },
      { ...first.record, userId: 'Alice' },
      { ...first.record, status: 'deleted' },
      { ...first.record, seq: -1 },
      { ...first.record, seq: 1.5 },
      { ...first.record, seq: '1' },
      { type: 'group', groupId: testId(1) },
      null,
    ];
    for (const record of bad) expect(mapCode(() => mapUpdateOf(withRecord(record)))).toBe('MAP_ENTRY_INVALID');
    expect(mapCode(() => mapUpdateOf({ ...first, index: -1 }))).toBe('MAP_ENTRY_INVALID');
    expect(mapCode(() => mapUpdateOf({ ...first, index: 2 ** 53 }))).toBe('MAP_ENTRY_INVALID');
  });

  it('hashes the record itself: a recordHash on an entry object is never read', () => {
    const hostile = entries.map((entry) => ({ ...entry, recordHash: new Uint8Array(32).fill(7) }));
    expect(toHex(keyMapOf(hostile).root())).toBe(logFold.entries.at(-1)!.root);
    [...mapUpdatesOf(hostile)].forEach((update, i) => expect(valueJson(update.value)).toEqual(logFold.entries[i]!.update.value));
    expect(mapUpdateOf(hostile[0]!).value.recordHash).toEqual(fromBase64UrlHash(recordHash(first.record)));
  });

  it('takes the digests a writer already has, in entry order, apart from the entries', () => {
    const digests = entries.map((entry) => fromBase64UrlHash(recordHash(entry.record)));
    const updates = [...mapUpdatesOf(entries.slice(3), 3, digests.slice(3))];
    updates.forEach((update, i) => expect(update.value.recordHash).toBe(digests[3 + i]));
    expect(updates).toEqual([...mapUpdatesOf(entries.slice(3), 3)]);
  });
});

describe('KeyMap', () => {
  it('starts empty: root of 32 zero bytes, no values, size 0', () => {
    const map = new KeyMap();
    expect(map.root()).toEqual(MAP_EMPTY_HASH);
    expect(map.size).toBe(0);
    expect(map.get({ kind: 'user', id: testId(1) })).toBeNull();
  });

  it('applies a batch all or nothing: an invalid update, or a fold that throws, changes nothing', () => {
    const map = new KeyMap();
    const root = map.apply([update('user', 1, 0)]);
    const bad = { ...update('user', 3, 2), value: { ...update('user', 3, 2).value, seq: -1 } };
    expect(mapCode(() => map.apply([update('user', 2, 1), bad]))).toBe('MAP_VALUE_INVALID');
    expect(mapCode(() => map.apply([update('user', 2, 1), { key: { kind: 'user', id: 'Bob' }, value: update('user', 2, 1).value }]))).toBe('MAP_KEY_INVALID');
    const entries = logFold.entries.map(({ index, acceptedAt, record }) => ({ index, acceptedAt, record }));
    expect(mapCode(() => map.apply(mapUpdatesOf([entries[0]!, entries[2]!])))).toBe('MAP_ENTRY_INVALID');
    expect([map.size, toHex(map.root())]).toEqual([1, toHex(root)]);
  });

  it('counts keys, not updates', () => {
    const map = new KeyMap();
    map.apply([update('user', 1, 0), update('group', 1, 1), update('user', 1, 2)]);
    expect(map.size).toBe(2);
  });

  it('cannot encode a proof whose deepest sibling is empty (the tree never has one)', () => {
    const sibling = new Uint8Array(32).fill(7);
    expect(mapCode(() => encodeMapProof({ siblings: [sibling, MAP_EMPTY_HASH], terminal: { kind: 'empty' } }))).toBe('MAP_PROOF_MALFORMED');
    expect(mapCode(() => encodeMapProof({ siblings: [MAP_EMPTY_HASH, sibling], terminal: { kind: 'empty' } }))).toBe('ok');
  });
});

// ---- properties ----

function update(kind: 'user' | 'group', n: number, index: number, seq = 0): MapUpdate {
  return { key: { kind, id: testId(n) }, value: { recordHash: sha256(utf8(`${kind} ${n} ${index}`)), index, seq, status: index % 3 === 0 ? 'revoked' : 'active' } };
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** docs/DESIGN.md §5.2.2-5.2.4, written again from the text with node:crypto. */
const reference = {
  path(key: MapKey): Uint8Array {
    const id = utf8(key.id);
    return sha256(utf8('peerkeys/map/v1 key'), new Uint8Array([key.kind === 'user' ? 1 : 2, id.length >> 8, id.length & 0xff]), id);
  },
  value(v: MapValue): Uint8Array {
    const out = new Uint8Array(49);
    const view = new DataView(out.buffer);
    out.set(v.recordHash);
    view.setBigUint64(32, BigInt(v.index));
    view.setBigUint64(40, BigInt(v.seq));
    out[48] = v.status === 'active' ? 1 : 2;
    return out;
  },
  bit: (path: Uint8Array, i: number) => (path[i >> 3]! >> (7 - (i % 8))) & 1,
  root(leaves: Array<{ path: Uint8Array; value: Uint8Array }>, depth = 0): Uint8Array {
    if (leaves.length === 0) return new Uint8Array(32);
    if (leaves.length === 1) return sha256(utf8('peerkeys/map/v1 leaf'), leaves[0]!.path, leaves[0]!.value);
    const half = (b: number) => reference.root(leaves.filter((l) => reference.bit(l.path, depth) === b), depth + 1);
    return sha256(utf8('peerkeys/map/v1 node'), half(0), half(1));
  },
};

const keyArb = fc.record({ kind: fc.constantFrom('user' as const, 'group' as const), id: fc.integer({ min: 0, max: 400 }).map(testId) });
/** A final map (distinct keys) and, for each key, earlier values that later updates replace. */
const historyArb = fc.uniqueArray(fc.record({ key: keyArb, earlier: fc.array(mapValueArb, { maxLength: 2 }), value: mapValueArb }), {
  selector: (e) => `${e.key.kind}:${e.key.id}`,
  maxLength: 60,
});

/** The updates of a history in a shuffled order that keeps each key's final value last. */
function ordered(history: Array<{ key: MapKey; earlier: MapValue[]; value: MapValue }>, order: number[]): MapUpdate[] {
  const earlier = history.flatMap((e) => e.earlier.map((value) => ({ key: e.key, value })));
  const shuffled = order.map((i) => earlier[i % Math.max(1, earlier.length)]).filter((u): u is MapUpdate => u !== undefined);
  return [...shuffled, ...history.map((e) => ({ key: e.key, value: e.value })).reverse()];
}

describe('key-map properties', () => {
  it('the root depends only on the final map: any order, any batches, and it is the reference root', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }), (history, order, cuts) => {
        const expected = reference.root(history.map((e) => ({ path: reference.path(e.key), value: reference.value(e.value) })));
        const oneByOne = new KeyMap();
        for (const u of ordered(history, order)) oneByOne.apply([u]);
        const batched = new KeyMap();
        const updates = ordered(history, [...order].reverse());
        for (let at = 0, i = 0; at < updates.length; i++) {
          const size = cuts[i % cuts.length]!;
          batched.apply(updates.slice(at, at + size));
          at += size;
        }
        expect(toHex(oneByOne.root())).toBe(toHex(expected));
        expect(toHex(batched.root())).toBe(toHex(expected));
        expect(oneByOne.size).toBe(history.length);
      }),
      { numRuns: 150 },
    );
  });

  it('fork() makes independent maps: updates to one never show in the other, both keep their reference roots', () => {
    fc.assert(
      fc.property(historyArb, historyArb, historyArb, fc.array(fc.nat(), { maxLength: 10 }), (base, left, right, probes) => {
        const rootOf = (...parts: Array<Array<{ key: MapKey; value: MapValue }>>) => {
          const final = new Map<string, { path: Uint8Array; value: Uint8Array }>();
          for (const { key, value } of parts.flat()) final.set(`${key.kind}:${key.id}`, { path: reference.path(key), value: reference.value(value) });
          return toHex(reference.root([...final.values()]));
        };
        const original = new KeyMap();
        original.apply(base);
        const before = toHex(original.root());
        const copy = original.fork();
        // Interleaved updates to the two maps, each after the other's: a shared node changed in place would leak.
        const longest = Math.max(left.length, right.length);
        for (let i = 0; i < longest; i++) {
          if (left[i] !== undefined) original.apply([left[i]!]);
          if (right[i] !== undefined) copy.apply([right[i]!]);
        }
        const third = copy.fork();
        third.apply(left);
        expect(toHex(original.root())).toBe(rootOf(base, left));
        expect(toHex(copy.root())).toBe(rootOf(base, right));
        expect(toHex(third.root())).toBe(rootOf(base, right, left));
        expect(before).toBe(rootOf(base));
        for (const n of probes) {
          const key = { kind: 'user' as const, id: testId(n % 401) };
          expect(verifyMapProof(copy.root(), key, copy.proveBytes(key))).toEqual(copy.get(key));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('every proof verifies: each key to its value, other keys to absence', () => {
    fc.assert(
      fc.property(historyArb, fc.array(keyArb, { maxLength: 10 }), (history, probes) => {
        const map = new KeyMap();
        map.apply(history.map((e) => ({ key: e.key, value: e.value })));
        const root = map.root();
        const held = new Map(history.map((e) => [`${e.key.kind}:${e.key.id}`, e.value]));
        for (const key of [...history.map((e) => e.key), ...probes]) {
          const proof = map.proveBytes(key);
          const want = held.get(`${key.kind}:${key.id}`) ?? null;
          expect(valueJson(verifyMapProof(root, key, proof))).toEqual(valueJson(want));
          expect(toHex(encodeMapProof(decodeMapProof(proof)))).toBe(toHex(proof));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('flipping any bits of any byte of a proof is refused with a KeyMapError, never another exception', () => {
    const codes = new Set<string>();
    fc.assert(
      fc.property(historyArb, keyArb, fc.integer({ min: 1, max: 255 }), (history, probe, mask) => {
        const map = new KeyMap();
        map.apply(history.map((e) => ({ key: e.key, value: e.value })));
        const root = map.root();
        const proof = map.proveBytes(probe);
        for (let at = 0; at < proof.length; at++) {
          const bad = proof.slice();
          bad[at] = bad[at]! ^ mask;
          const code = mapCode(() => verifyMapProof(root, probe, bad));
          codes.add(code);
          expect([at, code]).not.toEqual([at, 'ok']);
        }
      }),
      { numRuns: 25 },
    );
    expect(codes).toEqual(new Set(['MAP_PROOF_MALFORMED', 'MAP_PROOF_ROOT_MISMATCH', 'MAP_PROOF_KEY_MISMATCH']));
  });

  it('any bytes at all either are refused with a KeyMapError or give the true answer', () => {
    const map = new KeyMap();
    map.apply([update('user', 1, 1), update('user', 2, 2), update('group', 3, 3)]);
    const root = map.root();
    const real = map.proveBytes({ kind: 'user', id: testId(1) });
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.nat(real.length).map((n) => real.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((tail) => concatBytes(real, tail)),
      fc.tuple(fc.constantFrom(1, 2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 })).map(([type, bitmap, rest]) =>
        concatBytes(new Uint8Array([type]), bitmap, rest),
      ),
    );
    fc.assert(
      fc.property(bytesArb, fc.constantFrom(testId(1), testId(2), testId(9)), (bytes, id) => {
        const out: { answer?: MapValue | null } = {};
        const code = mapCode(() => (out.answer = verifyMapProof(root, { kind: 'user', id }, bytes)));
        if (code !== 'ok') return;
        expect(valueJson(out.answer ?? null)).toEqual(valueJson(map.get({ kind: 'user', id })));
      }),
      { numRuns: 2000 },
    );
  });
});
