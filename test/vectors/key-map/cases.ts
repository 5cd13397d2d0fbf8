/**
 * The key-map vectors (README.md beside this file): built here from fixed inputs, written by
 * generate.ts, replayed by test/unit/key-map.test.ts, which also rebuilds them to prove the files
 * are what this code makes. Every byte string is lowercase hex.
 */
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex, utf8 } from '../../../src/protocol/encoding.js';
import { KeyMapError } from '../../../src/protocol/errors.js';
import type { GroupRecord } from '../../../src/protocol/group.js';
import type { IdentityRecord } from '../../../src/protocol/identity.js';
import { KeyMap } from '../../../src/protocol/key-map-tree.js';
import { mapUpdatesOf, type MapRecord } from '../../../src/protocol/key-map-fold.js';
import {
  decodeMapProof,
  encodeMapKey,
  encodeMapProof,
  encodeMapValue,
  mapKeyPath,
  mapLeafHash,
  mapNodeHash,
  MAP_EMPTY_HASH,
  pathBit,
  verifyMapProof,
  type MapKey,
  type MapKeyKind,
  type MapProof,
  type MapStatus,
  type MapUpdate,
  type MapValue,
} from '../../../src/protocol/key-map.js';
import type { LogEntry } from '../../../src/protocol/log-entry.js';
import { formatTimestamp, parseTimestamp } from '../../../src/protocol/time.js';
import { createGroupGenesis, createGroupUpdate, groupMember } from '../../../src/sdk/group-records.js';
import { createGenesisRecord, createSuccessorRecord } from '../../../src/sdk/records.js';
import { codeOfThrown } from '../../helpers/errors.js';
import { boxKey, signingKey, T0 } from '../../helpers/fixed-identities.js';

// ---- JSON shapes ----

export interface ValueJson {
  recordHash: string;
  index: number;
  seq: number;
  status: MapStatus;
}

export interface KeyJson {
  kind: MapKeyKind;
  id: string;
}

export interface ProofJson extends KeyJson {
  /** Where the search ended: "present", "empty" or "other" (the proof's type byte). */
  terminal: MapProof['terminal']['kind'];
  proof: string;
  /** What verifyMapProof answers: the value, or null for a proven absence. */
  value: ValueJson | null;
}

export interface EncodingsFile {
  description: string;
  emptyHash: string;
  keys: Array<KeyJson & { keyBytes: string; path: string }>;
  values: Array<ValueJson & { valueBytes: string }>;
  leafHashes: Array<{ path: string; valueBytes: string; hash: string }>;
  nodeHashes: Array<{ left: string; right: string; hash: string }>;
  invalidKeys: Array<{ kind: string; id: string; code: string }>;
  invalidValues: Array<{ valueBytes: string; code: string; why: string }>;
}

export interface MapCase {
  name: string;
  description: string;
  /** Applied in order; `root` is the map's root after the batch. */
  batches: Array<{ updates: Array<{ key: KeyJson; value: ValueJson }>; root: string }>;
  /** Proofs against the root after the last batch. */
  proofs: ProofJson[];
}

export interface MapsFile {
  description: string;
  maps: MapCase[];
}

export interface InvalidProofsFile {
  description: string;
  cases: Array<{ name: string; root: string; key: KeyJson; proof: string; code: string }>;
}

export interface LogFoldFile {
  description: string;
  entries: Array<LogEntry<MapRecord> & { update: { key: KeyJson; value: ValueJson }; root: string }>;
  /** The heads after the whole log, one per key, as proofs against the last root. */
  proofs: ProofJson[];
}

// ---- helpers ----

/** A Peers id with a fixed time prefix and `n` in base36 as its suffix. */
export function testId(n: number): string {
  return `0000000000${n.toString(36).padStart(15, '0')}`;
}

/** A record hash for tests: SHA-256 of a label (the map treats it as opaque bytes). */
function fakeRecordHash(label: string): Uint8Array {
  return sha256(utf8(`peerkeys key-map vector record ${label}`));
}

function valueJson(value: MapValue): ValueJson {
  return { recordHash: toHex(value.recordHash), index: value.index, seq: value.seq, status: value.status };
}

export function valueFromJson(json: ValueJson): MapValue {
  return { recordHash: fromHex(json.recordHash), index: json.index, seq: json.seq, status: json.status };
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function proofJson(map: KeyMap, key: MapKey): ProofJson {
  const proof = map.prove(key);
  const bytes = encodeMapProof(proof);
  const value = verifyMapProof(map.root(), key, bytes);
  return { kind: key.kind, id: key.id, terminal: proof.terminal.kind, proof: toHex(bytes), value: value === null ? null : valueJson(value) };
}

/** Ids from `from` on whose search in `map` ends at a terminal of `kind`. */
function absentIds(map: KeyMap, kind: MapProof['terminal']['kind'], count: number, from = 1_000_000): string[] {
  const out: string[] = [];
  for (let n = from; out.length < count; n++) {
    if (n - from > 100_000) throw new Error(`no search in this map ends at a terminal of kind ${kind}`);
    if (map.prove({ kind: 'user', id: testId(n) }).terminal.kind === kind) out.push(testId(n));
  }
  return out;
}

// ---- encodings.json ----

export function buildEncodings(): EncodingsFile {
  const keys: MapKey[] = [
    { kind: 'user', id: testId(1) },
    { kind: 'group', id: testId(1) },
    { kind: 'user', id: 'lz3x9k2a0b7q4m1n8c5d6e0f2' },
  ];
  const values: MapValue[] = [
    { recordHash: fakeRecordHash('a'), index: 0, seq: 0, status: 'active' },
    { recordHash: fakeRecordHash('b'), index: 4_294_967_296 + 7, seq: 3, status: 'revoked' },
    { recordHash: new Uint8Array(32).fill(0xff), index: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER, status: 'active' },
  ];
  const leafPath = mapKeyPath(keys[0]!);
  const leafValue = encodeMapValue(values[0]!);
  const leaf = mapLeafHash(leafPath, leafValue);
  const goodValue = toHex(encodeMapValue(values[0]!));
  const withByte = (at: number, byte: number) => {
    const bytes = fromHex(goodValue);
    bytes[at] = byte;
    return toHex(bytes);
  };
  return {
    description: 'Key and value encodings, paths and hashes of docs/DESIGN.md §5.2. Hex throughout.',
    emptyHash: toHex(MAP_EMPTY_HASH),
    keys: keys.map((key) => ({ ...key, keyBytes: toHex(encodeMapKey(key)), path: toHex(mapKeyPath(key)) })),
    values: values.map((value) => ({ ...valueJson(value), valueBytes: toHex(encodeMapValue(value)) })),
    leafHashes: [{ path: toHex(leafPath), valueBytes: toHex(leafValue), hash: toHex(leaf) }],
    nodeHashes: [
      { left: toHex(leaf), right: toHex(MAP_EMPTY_HASH), hash: toHex(mapNodeHash(leaf, MAP_EMPTY_HASH)) },
      { left: toHex(MAP_EMPTY_HASH), right: toHex(leaf), hash: toHex(mapNodeHash(MAP_EMPTY_HASH, leaf)) },
    ],
    invalidKeys: [
      { kind: 'device', id: testId(1), code: 'MAP_KEY_INVALID' },
      { kind: 'user', id: testId(1295).toUpperCase(), code: 'MAP_KEY_INVALID' },
      { kind: 'user', id: `${testId(1)}0`, code: 'MAP_KEY_INVALID' },
      { kind: 'group', id: '', code: 'MAP_KEY_INVALID' },
    ],
    invalidValues: [
      { valueBytes: goodValue.slice(0, -2), code: 'MAP_VALUE_INVALID', why: '48 bytes' },
      { valueBytes: `${goodValue}00`, code: 'MAP_VALUE_INVALID', why: '50 bytes' },
      { valueBytes: withByte(48, 0x00), code: 'MAP_VALUE_INVALID', why: 'status byte 0x00' },
      { valueBytes: withByte(48, 0x03), code: 'MAP_VALUE_INVALID', why: 'status byte 0x03' },
      { valueBytes: withByte(33, 0x20), code: 'MAP_VALUE_INVALID', why: 'index 2^53' },
      { valueBytes: withByte(40, 0x80), code: 'MAP_VALUE_INVALID', why: 'seq 2^63' },
    ],
  };
}

// ---- maps.json ----

function update(kind: MapKeyKind, n: number, index: number, seq: number, status: MapStatus = 'active'): MapUpdate {
  return { key: { kind, id: testId(n) }, value: { recordHash: fakeRecordHash(`${kind} ${n} ${seq}`), index, seq, status } };
}

function mapCase(name: string, description: string, batches: MapUpdate[][], proofKeys: (map: KeyMap) => MapKey[]): MapCase {
  const map = new KeyMap();
  const out: MapCase['batches'] = batches.map((updates) => ({
    updates: updates.map((u) => ({ key: { ...u.key }, value: valueJson(u.value) })),
    root: toHex(map.apply(updates)),
  }));
  return { name, description, batches: out, proofs: proofKeys(map).map((key) => proofJson(map, key)) };
}

/** Two user ids whose paths share their first 16 bits or more (found by search, so fixed). */
function sharedPrefixPair(): [number, number] {
  const seen = new Map<number, number>();
  for (let n = 0; ; n++) {
    const path = mapKeyPath({ kind: 'user', id: testId(n) });
    const prefix = (path[0]! << 8) | path[1]!;
    const other = seen.get(prefix);
    if (other !== undefined) return [other, n];
    seen.set(prefix, n);
  }
}

export function buildMaps(): MapsFile {
  const [a, b] = sharedPrefixPair();
  // Users a and b share a long prefix: searches that enter it and leave it end at empty subtrees.
  const small = [
    [update('user', 1, 0, 0), update('user', 2, 1, 0), update('group', 3, 2, 0)],
    [update('user', 4, 3, 0), update('user', 1, 4, 1), update('group', 5, 5, 0), update('user', a, 6, 0), update('user', b, 7, 0)],
    [update('user', 2, 8, 1, 'revoked'), update('group', 3, 9, 1), update('user', 1, 10, 2)],
  ];
  const smallKeys = [
    ...[1, 2, 4, a, b].map((n) => ({ kind: 'user' as const, id: testId(n) })),
    ...[3, 5].map((n) => ({ kind: 'group' as const, id: testId(n) })),
  ];
  return {
    description:
      'Maps built by applying batches of updates in order (a later update of a key replaces its value); the root after each batch; and proofs against the last root: "present" for keys in the map, "empty" and "other" for keys that are not.',
    maps: [
      mapCase('empty', 'The empty map: its root is 32 zero bytes, and every key is proven absent at depth 0.', [[]], () => [{ kind: 'user', id: testId(1) }]),
      mapCase('one-key', 'One key: the root is its leaf hash (depth 0).', [[update('user', 1, 0, 0)]], () => [
        { kind: 'user', id: testId(1) },
        { kind: 'group', id: testId(1) },
      ]),
      mapCase('small', `Users and groups over three batches, with updates of earlier keys and a revocation; users ${testId(a)} and ${testId(b)} share their first 16 bits or more.`, small, (map) => [
        ...smallKeys,
        ...absentIds(map, 'empty', 2).map((id) => ({ kind: 'user' as const, id })),
        ...absentIds(map, 'other', 2).map((id) => ({ kind: 'user' as const, id })),
      ]),
      mapCase(
        'shared-prefix',
        `Two users whose paths share at least 16 leading bits (ids ${testId(a)} and ${testId(b)}) and one more: the proofs carry empty siblings, marked by 0 bits in the bitmap.`,
        [[update('user', a, 0, 0), update('user', b, 1, 0), update('group', a, 2, 0)]],
        (map) => [
          { kind: 'user', id: testId(a) },
          { kind: 'user', id: testId(b) },
          { kind: 'group', id: testId(a) },
          ...absentIds(map, 'empty', 1).map((id) => ({ kind: 'user' as const, id })),
        ],
      ),
    ],
  };
}

// ---- invalid-proofs.json ----

function withBytes(hex: string, edit: (bytes: Uint8Array) => Uint8Array): string {
  return toHex(edit(fromHex(hex)));
}

export function buildInvalidProofs(maps: MapsFile = buildMaps()): InvalidProofsFile {
  const small = maps.maps.find((m) => m.name === 'small')!;
  const root = small.batches[small.batches.length - 1]!.root;
  const oldRoot = small.batches[1]!.root;
  const proofOf = (terminal: string, nth = 0) => small.proofs.filter((p) => p.terminal === terminal)[nth]!;
  const present = proofOf('present');
  const secondPresent = proofOf('present', 1);
  const empty = proofOf('empty');
  const other = proofOf('other');
  const key = (p: ProofJson): KeyJson => ({ kind: p.kind, id: p.id });

  // The proof of `present`'s key as it was after batch 2 (an older head), replayed against the newest root.
  const before = new KeyMap();
  for (const batch of small.batches.slice(0, 2)) before.apply(batch.updates.map((u) => ({ key: u.key, value: valueFromJson(u.value) })));
  const stale = toHex(before.proveBytes(key(present)));

  // A proof of absence whose "other" leaf is the key's own: the present proof with its type changed and the path added.
  const decoded = decodeMapProof(fromHex(present.proof));
  const ownLeaf = encodeMapProof({
    siblings: decoded.siblings,
    terminal: { kind: 'other', path: mapKeyPath(key(present)), value: (decoded.terminal as { value: MapValue }).value },
  });
  // An absent key whose path leaves the "other" proof's leaf within the proof's depth.
  const otherProof = decodeMapProof(fromHex(other.proof));
  const otherPath = (otherProof.terminal as { path: Uint8Array }).path;
  let offPath = 2_000_000;
  while (pathBit(mapKeyPath({ kind: 'user', id: testId(offPath) }), 0) === pathBit(otherPath, 0)) offPath++;

  const firstListedSibling = 33; // type (1) + bitmap (32)
  const flip = (at: number) => (bytes: Uint8Array) => {
    bytes[at] = bytes[at]! ^ 0x01;
    return bytes;
  };
  const cases: InvalidProofsFile['cases'] = [
    { name: 'no bytes', root, key: key(present), proof: '', code: 'MAP_PROOF_MALFORMED' },
    { name: 'shorter than the header', root, key: key(present), proof: present.proof.slice(0, 64), code: 'MAP_PROOF_MALFORMED' },
    { name: 'one byte short', root, key: key(present), proof: present.proof.slice(0, -2), code: 'MAP_PROOF_MALFORMED' },
    { name: 'one byte too many', root, key: key(present), proof: `${present.proof}00`, code: 'MAP_PROOF_MALFORMED' },
    { name: 'type 0x00', root, key: key(present), proof: `00${present.proof.slice(2)}`, code: 'MAP_PROOF_MALFORMED' },
    { name: 'type 0x04', root, key: key(present), proof: `04${present.proof.slice(2)}`, code: 'MAP_PROOF_MALFORMED' },
    { name: 'type present with no value (an empty proof retyped)', root, key: key(empty), proof: `01${empty.proof.slice(2)}`, code: 'MAP_PROOF_MALFORMED' },
    {
      name: 'a bitmap bit set for a sibling that is not listed',
      root,
      key: key(present),
      proof: withBytes(present.proof, (b) => {
        b[32] = b[32]! | 0x01; // depth 256
        return b;
      }),
      code: 'MAP_PROOF_MALFORMED',
    },
    {
      name: 'an empty sibling listed as 32 zero bytes',
      root,
      key: key(present),
      // Depth 256 comes after every real sibling, so its zeros are listed last, before the value.
      proof: withBytes(present.proof, (b) => {
        const out = concatBytes(b.subarray(0, b.length - 49), new Uint8Array(32), b.subarray(b.length - 49));
        out[32] = out[32]! | 0x01;
        return out;
      }),
      code: 'MAP_PROOF_MALFORMED',
    },
    { name: 'a value with status byte 0x03', root, key: key(present), proof: withBytes(present.proof, (b) => ((b[b.length - 1] = 0x03), b)), code: 'MAP_PROOF_MALFORMED' },
    { name: 'a value with index 2^53', root, key: key(present), proof: withBytes(present.proof, (b) => ((b[b.length - 49 + 33] = 0x20), b)), code: 'MAP_PROOF_MALFORMED' },
    { name: 'a sibling with one bit flipped', root, key: key(present), proof: withBytes(present.proof, flip(firstListedSibling)), code: 'MAP_PROOF_ROOT_MISMATCH' },
    { name: "the value's seq changed", root, key: key(present), proof: withBytes(present.proof, flip(present.proof.length / 2 - 2)), code: 'MAP_PROOF_ROOT_MISMATCH' },
    { name: 'an older head of the key (the proof against an earlier root)', root, key: key(present), proof: stale, code: 'MAP_PROOF_ROOT_MISMATCH' },
    { name: 'the same older proof is valid against its own root', root: oldRoot, key: key(present), proof: stale, code: 'ok' },
    { name: "another key's proof of presence", root, key: key(secondPresent), proof: present.proof, code: 'MAP_PROOF_ROOT_MISMATCH' },
    { name: "a proof of absence ending at the key's own leaf", root, key: key(present), proof: toHex(ownLeaf), code: 'MAP_PROOF_KEY_MISMATCH' },
    { name: "a proof of absence whose leaf is off the key's path", root, key: { kind: 'user', id: testId(offPath) }, proof: other.proof, code: 'MAP_PROOF_KEY_MISMATCH' },
    { name: "another key's proof of absence (empty), for a key in the map", root, key: key(present), proof: empty.proof, code: 'MAP_PROOF_ROOT_MISMATCH' },
    {
      name: 'the deepest sibling dropped',
      root,
      key: key(present),
      proof: toHex(encodeMapProof({ siblings: trimmed(decoded.siblings), terminal: decoded.terminal })),
      code: 'MAP_PROOF_ROOT_MISMATCH',
    },
    { name: 'a key that is not a Peers id', root, key: { kind: 'user', id: 'Alice' }, proof: present.proof, code: 'MAP_KEY_INVALID' },
  ];
  return {
    description:
      'Proofs verifyMapProof refuses, each with the code it refuses it with, against the last root of the "small" map of maps.json (one case, marked "ok", shows an older proof is valid against its own root: only the root tells it is stale).',
    cases,
  };
}

/** Siblings without the deepest one, and without any empty ones left at the end. */
function trimmed(siblings: Uint8Array[]): Uint8Array[] {
  const out = siblings.slice(0, -1);
  while (out.length > 0 && out[out.length - 1]!.every((x) => x === 0)) out.pop();
  return out;
}

// ---- log-fold.json ----

const t0 = parseTimestamp(T0)!;
const at = (seconds: number) => formatTimestamp(t0 + seconds * 1000);

/** A small log: identities, a group, an update, a revocation and a recovery that lowers seq. */
async function foldRecords(): Promise<MapRecord[]> {
  const [aliceKey, strong, weak, bobKey, aliceKey2, attackerKey, carolKey] = [1, 2, 3, 5, 6, 9, 7].map(signingKey) as [
    ReturnType<typeof signingKey>,
    ...ReturnType<typeof signingKey>[],
  ];
  const alice0: IdentityRecord = await createGenesisRecord({ signingKey: aliceKey, boxKey: boxKey(1), rotationKeys: [strong!.publicKey, weak!.publicKey], signer: weak!, createdAt: at(0), name: 'Alice' });
  const bob0 = await createGenesisRecord({ signingKey: bobKey!, boxKey: boxKey(5), rotationKeys: [bobKey!.publicKey], signer: bobKey!, createdAt: at(1) });
  const alice1 = await createSuccessorRecord({ previous: alice0, signingKey: aliceKey2!, signer: weak!, createdAt: at(2) });
  const group0: GroupRecord = await createGroupGenesis({
    name: 'Climbers',
    members: [groupMember(bob0, 'founder'), groupMember(alice1, 'reader')],
    signer: { userId: bob0.userId, signingKey: bobKey! },
    createdAt: at(3),
  });
  // Someone with Alice's weak rotation key takes over: a rotation to their own key.
  const alice2 = await createSuccessorRecord({ previous: alice1, signingKey: attackerKey!, signer: weak!, createdAt: at(4) });
  // Alice recovers from her genesis with her strong key: records 2 and 4 are nullified, and the
  // head's seq goes from 2 back to 1 while its index grows.
  const alice1r = await createSuccessorRecord({ previous: alice0, signingKey: aliceKey2!, signer: strong!, rotationKeys: [strong!.publicKey], createdAt: at(5) });
  const group1 = await createGroupUpdate({ previous: group0, name: 'Climbers of the north face', signer: { userId: bob0.userId, signingKey: bobKey! }, createdAt: at(6) });
  const bob1 = await createSuccessorRecord({ previous: bob0, signingKey: bobKey!, signer: bobKey!, status: 'revoked', createdAt: at(7) });
  const carol0 = await createGenesisRecord({ signingKey: carolKey!, boxKey: boxKey(7), rotationKeys: [carolKey!.publicKey], signer: carolKey!, createdAt: at(8) });
  return [alice0, bob0, alice1, group0, alice2, alice1r, group1, bob1, carol0];
}

export async function buildLogFold(): Promise<LogFoldFile> {
  const records = await foldRecords();
  const entries: LogEntry<MapRecord>[] = records.map((record, index) => ({ index, acceptedAt: at(index), record }));
  const map = new KeyMap();
  const updates = [...mapUpdatesOf(entries)];
  const out = entries.map((entry, i) => {
    const u = updates[i]!;
    return { ...entry, update: { key: { ...u.key }, value: valueJson(u.value) }, root: toHex(map.apply([u])) };
  });
  const keys = new Map(updates.map((u) => [`${u.key.kind}:${u.key.id}`, u.key]));
  return {
    description:
      'A log of nine entries (identities, a group, a revocation, and a recovery at index 5 that nullifies the records at indexes 2 and 4 and lowers the head\'s seq from 2 to 1): the map update each entry makes — value.recordHash is SHA-256 of the canonical JSON of the record — and the root after the first N entries; then the proof of every key\'s head against the last root.',
    entries: out,
    proofs: [...keys.values()].map((key) => proofJson(map, key)),
  };
}

// ---- files ----

export const VECTOR_FILES = ['encodings.json', 'maps.json', 'invalid-proofs.json', 'log-fold.json'] as const;
export type VectorFile = (typeof VECTOR_FILES)[number];

export async function buildAll(): Promise<Record<VectorFile, unknown>> {
  const maps = buildMaps();
  return {
    'encodings.json': buildEncodings(),
    'maps.json': maps,
    'invalid-proofs.json': buildInvalidProofs(maps),
    'log-fold.json': await buildLogFold(),
  };
}

export function loadVector<T>(name: VectorFile): T {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T;
}

/** The code verifyMapProof answers for a case: 'ok' or the KeyMapError's code. */
export function verifyCode(root: string, key: KeyJson, proof: string): string {
  return codeOfThrown(KeyMapError, () => verifyMapProof(fromHex(root), key, fromHex(proof)));
}
