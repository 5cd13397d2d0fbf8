/**
 * The key map (docs/DESIGN.md §5.2, the normative text): a verifiable map from (kind, id) — every
 * identity and group — to its current head, derived from the log. This file is its byte formats
 * and its proof verification: the key and value encodings, the domain-separated hashes, the proof
 * codec, and `verifyMapProof`, which is all a client needs. The prover's in-memory tree is
 * key-map-tree.ts; the fold from log entries to updates is key-map-fold.ts.
 *
 * The tree is a binary prefix tree over 256-bit paths, path = SHA-256 of the key's encoding:
 * a subtree with no key hashes to 32 zero bytes, a subtree with exactly one key IS that key's leaf
 * (the leaf sits at the shortest prefix of its path that no other key shares), and any other
 * subtree is a node over its two halves. The same construction as the IETF KEYTRANS prefix tree
 * (draft-ietf-keytrans-protocol §"Prefix Tree") and Diem's Jellyfish Merkle tree, chosen over a
 * full-depth 256-level tree with per-level empty hashes (Trillian's map) because a proof then
 * costs about log2(n) hashes instead of 256, in the browser too; docs/DESIGN.md §5.2.7 says why that
 * is as safe. Leaves bind their full path, so a leaf is only ever valid where its path leads.
 *
 * Everything here is pure and browser-safe. Proofs and their bytes are attacker-controlled: every
 * failure is a KeyMapError with a stable code, never another exception.
 */
import { bytesEqual, concatBytes, utf8 } from './encoding.js';
import { KeyMapError } from './errors.js';
import { sha256 } from './hash.js';
import { isPeersId } from './ids.js';

export const MAP_HASH_SIZE = 32;
/** The hash of an empty subtree, and so the root of the empty map: 32 zero bytes. */
export const MAP_EMPTY_HASH: Uint8Array = new Uint8Array(MAP_HASH_SIZE);

/** Domain separation: no tag is a prefix of another, and each is followed by fixed-length or length-prefixed bytes. */
const KEY_TAG = utf8('peerkeys/map/v1 key');
const LEAF_TAG = utf8('peerkeys/map/v1 leaf');
const NODE_TAG = utf8('peerkeys/map/v1 node');

/** The deepest a leaf or an empty subtree can be: two distinct 256-bit paths differ at some bit. */
export const MAP_MAX_DEPTH = 256;

// ---- keys ----

/** The kind byte of a key. */
export const MAP_KEY_KINDS = { user: 0x01, group: 0x02 } as const;
export type MapKeyKind = keyof typeof MAP_KEY_KINDS;

export interface MapKey {
  kind: MapKeyKind;
  /** A Peers id: a userId for `user`, a groupId for `group`. */
  id: string;
}

/** key bytes = kind (1 byte) || length of id (2 bytes, big-endian) || id (its UTF-8, here ASCII) */
export function encodeMapKey(key: MapKey): Uint8Array {
  if (typeof key !== 'object' || key === null) throw new KeyMapError('MAP_KEY_INVALID', 'a key is an object { kind, id }');
  const kind = Object.hasOwn(MAP_KEY_KINDS, key.kind) ? MAP_KEY_KINDS[key.kind] : undefined;
  if (kind === undefined) throw new KeyMapError('MAP_KEY_INVALID', `a key's kind is "user" or "group", not ${JSON.stringify(key.kind)}`);
  if (typeof key.id !== 'string' || !isPeersId(key.id)) throw new KeyMapError('MAP_KEY_INVALID', "a key's id is a Peers id (25 characters of [0-9a-z])");
  // A Peers id is ASCII, so its UTF-8 is one byte per character.
  const out = new Uint8Array(3 + key.id.length);
  out[0] = kind;
  out[1] = key.id.length >> 8;
  out[2] = key.id.length & 0xff;
  for (let i = 0; i < key.id.length; i++) out[3 + i] = key.id.charCodeAt(i);
  return out;
}

/** path = SHA-256("peerkeys/map/v1 key" || key bytes): where the key lives in the tree. */
export function mapKeyPath(key: MapKey): Uint8Array {
  return sha256(concatBytes(KEY_TAG, encodeMapKey(key)));
}

/** Bit `i` of a path, most significant bit of byte 0 first: 0 goes left, 1 goes right. */
export function pathBit(path: Uint8Array, i: number): number {
  return (path[i >> 3]! >> (7 - (i & 7))) & 1;
}

// ---- values ----

/**
 * The status byte. Identity heads carry their record's own status (a recovery record included:
 * nullified records are never a head); groups have no status and are always active.
 */
export const MAP_STATUSES = { active: 0x01, revoked: 0x02 } as const;
export type MapStatus = keyof typeof MAP_STATUSES;

/** A key's current head. */
export interface MapValue {
  /** SHA-256(JCS(head record)): the record hash of DESIGN.md §1, as raw bytes. */
  recordHash: Uint8Array;
  /** The head's leaf index in the log. */
  index: number;
  /** The head record's `seq` (a recovery may lower it; `index` only ever grows). */
  seq: number;
  status: MapStatus;
}

/** recordHash (32) || index (8, big-endian) || seq (8, big-endian) || status (1) */
export const MAP_VALUE_SIZE = 49;
const TWO_32 = 2 ** 32;

function isSafeCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export function encodeMapValue(value: MapValue): Uint8Array {
  if (!(value.recordHash instanceof Uint8Array) || value.recordHash.length !== MAP_HASH_SIZE) throw new KeyMapError('MAP_VALUE_INVALID', 'recordHash is 32 bytes');
  if (!isSafeCount(value.index)) throw new KeyMapError('MAP_VALUE_INVALID', 'index is an integer from 0 to 2^53 - 1');
  if (!isSafeCount(value.seq)) throw new KeyMapError('MAP_VALUE_INVALID', 'seq is an integer from 0 to 2^53 - 1');
  const status = Object.hasOwn(MAP_STATUSES, value.status) ? MAP_STATUSES[value.status] : undefined;
  if (status === undefined) throw new KeyMapError('MAP_VALUE_INVALID', `status is "active" or "revoked", not ${JSON.stringify(value.status)}`);
  const out = new Uint8Array(MAP_VALUE_SIZE);
  out.set(value.recordHash, 0);
  writeCount(out, 32, value.index);
  writeCount(out, 40, value.seq);
  out[48] = status;
  return out;
}

/** Writes a safe integer as a big-endian uint64 (byte by byte: no DataView to allocate per value). */
function writeCount(out: Uint8Array, offset: number, n: number): void {
  let high = Math.floor(n / TWO_32);
  let low = n >>> 0;
  for (let i = 3; i >= 0; i--) {
    out[offset + i] = high & 0xff;
    out[offset + 4 + i] = low & 0xff;
    high >>>= 8;
    low >>>= 8;
  }
}

/** Reads a big-endian uint64 that must be at most 2^53 - 1 (the high word at most 2^21 - 1), or null. */
function readCount(bytes: Uint8Array, offset: number): number | null {
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) {
    high = high * 256 + bytes[offset + i]!;
    low = low * 256 + bytes[offset + 4 + i]!;
  }
  return high > 0x1fffff ? null : high * TWO_32 + low;
}

/** The one value these 49 bytes encode; anything else is MAP_VALUE_INVALID. */
export function decodeMapValue(bytes: Uint8Array): MapValue {
  if (bytes.length !== MAP_VALUE_SIZE) throw new KeyMapError('MAP_VALUE_INVALID', `a value is ${MAP_VALUE_SIZE} bytes, not ${bytes.length}`);
  const index = readCount(bytes, 32);
  const seq = readCount(bytes, 40);
  if (index === null || seq === null) throw new KeyMapError('MAP_VALUE_INVALID', 'index and seq are at most 2^53 - 1');
  const status: MapStatus | undefined = bytes[48] === MAP_STATUSES.active ? 'active' : bytes[48] === MAP_STATUSES.revoked ? 'revoked' : undefined;
  if (status === undefined) throw new KeyMapError('MAP_VALUE_INVALID', `unknown status byte 0x${bytes[48]!.toString(16).padStart(2, '0')}`);
  return { recordHash: bytes.slice(0, 32), index, seq, status };
}

export function mapValuesEqual(a: MapValue, b: MapValue): boolean {
  return bytesEqual(a.recordHash, b.recordHash) && a.index === b.index && a.seq === b.seq && a.status === b.status;
}

/** One change to the map: `key` now has `value` (keys are never removed: the log has no deletions). */
export interface MapUpdate {
  key: MapKey;
  value: MapValue;
}

// ---- hashes ----

// Reused inputs: hashing is synchronous, so nothing else can write them between set and hash.
const leafInput = new Uint8Array(LEAF_TAG.length + MAP_HASH_SIZE + MAP_VALUE_SIZE);
leafInput.set(LEAF_TAG);
const nodeInput = new Uint8Array(NODE_TAG.length + 2 * MAP_HASH_SIZE);
nodeInput.set(NODE_TAG);

/** leaf hash = SHA-256("peerkeys/map/v1 leaf" || path (32) || value bytes (49)) */
export function mapLeafHash(path: Uint8Array, valueBytes: Uint8Array): Uint8Array {
  if (path.length !== MAP_HASH_SIZE || valueBytes.length !== MAP_VALUE_SIZE) throw new RangeError('a map leaf is a 32-byte path and a 49-byte value');
  leafInput.set(path, LEAF_TAG.length);
  leafInput.set(valueBytes, LEAF_TAG.length + MAP_HASH_SIZE);
  return sha256(leafInput);
}

/** node hash = SHA-256("peerkeys/map/v1 node" || left (32) || right (32)); an empty half is MAP_EMPTY_HASH. */
export function mapNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== MAP_HASH_SIZE || right.length !== MAP_HASH_SIZE) throw new RangeError('a map node is over two 32-byte hashes');
  nodeInput.set(left, NODE_TAG.length);
  nodeInput.set(right, NODE_TAG.length + MAP_HASH_SIZE);
  return sha256(nodeInput);
}

export function isEmptyHash(hash: Uint8Array): boolean {
  return bytesEqual(hash, MAP_EMPTY_HASH);
}

// ---- proofs ----

/** The proof's first byte: where the search for the key ended. */
export const MAP_PROOF_TYPES = { present: 0x01, empty: 0x02, other: 0x03 } as const;

/** Where the walk down the key's path ended, and what a verifier needs to hash there. */
export type MapProofTerminal =
  /** At the key's own leaf: the key is in the map with this value. */
  | { kind: 'present'; value: MapValue }
  /** At an empty subtree: the key is not in the map. */
  | { kind: 'empty' }
  /** At the leaf of another key, whose path shares the walked prefix: the key is not in the map. */
  | { kind: 'other'; path: Uint8Array; value: MapValue };

export interface MapProof {
  /**
   * The siblings of the walked path, root side first: siblings[d - 1] is the other child of the
   * node at depth d - 1, MAP_EMPTY_HASH when that subtree is empty. Its length is the depth of
   * the terminal (0 when the root itself is the terminal).
   */
  siblings: Uint8Array[];
  terminal: MapProofTerminal;
}

const BITMAP_SIZE = MAP_MAX_DEPTH / 8;
const HEADER_SIZE = 1 + BITMAP_SIZE;

function terminalSize(type: number): number | null {
  if (type === MAP_PROOF_TYPES.present) return MAP_VALUE_SIZE;
  if (type === MAP_PROOF_TYPES.empty) return 0;
  if (type === MAP_PROOF_TYPES.other) return MAP_HASH_SIZE + MAP_VALUE_SIZE;
  return null;
}

/**
 * proof bytes = type (1) || bitmap (32) || the non-empty siblings, root side first (32 each) ||
 * terminal (present: value (49); empty: nothing; other: path (32) || value (49)).
 * Bitmap bit i (most significant bit of byte 0 first) is 1 when the sibling at depth i + 1 is not
 * empty. The depth is 1 + the position of the last 1 bit (0 when there is none): in the tree of
 * docs/DESIGN.md §5.2.4 the deepest sibling of a terminal is never empty, so the bitmap says it.
 */
export function encodeMapProof(proof: MapProof): Uint8Array {
  const { siblings, terminal } = proof;
  if (siblings.length > MAP_MAX_DEPTH) throw new KeyMapError('MAP_PROOF_MALFORMED', `a proof has at most ${MAP_MAX_DEPTH} siblings`);
  if (siblings.some((s) => s.length !== MAP_HASH_SIZE)) throw new KeyMapError('MAP_PROOF_MALFORMED', 'siblings are 32-byte hashes');
  if (siblings.length > 0 && isEmptyHash(siblings[siblings.length - 1]!)) {
    throw new KeyMapError('MAP_PROOF_MALFORMED', "the deepest sibling of a terminal is never empty in the map's tree");
  }
  const present = siblings.filter((s) => !isEmptyHash(s));
  const tail =
    terminal.kind === 'present' ? encodeMapValue(terminal.value) : terminal.kind === 'empty' ? new Uint8Array(0) : concatBytes(checkedPath(terminal.path), encodeMapValue(terminal.value));
  const out = new Uint8Array(HEADER_SIZE + present.length * MAP_HASH_SIZE + tail.length);
  out[0] = MAP_PROOF_TYPES[terminal.kind];
  siblings.forEach((s, i) => {
    if (!isEmptyHash(s)) out[1 + (i >> 3)] = out[1 + (i >> 3)]! | (0x80 >> (i & 7));
  });
  present.forEach((s, i) => out.set(s, HEADER_SIZE + i * MAP_HASH_SIZE));
  out.set(tail, HEADER_SIZE + present.length * MAP_HASH_SIZE);
  return out;
}

function checkedPath(path: Uint8Array): Uint8Array {
  if (!(path instanceof Uint8Array) || path.length !== MAP_HASH_SIZE) throw new KeyMapError('MAP_PROOF_MALFORMED', 'a path is 32 bytes');
  return path;
}

/** The one proof these bytes encode; anything else is MAP_PROOF_MALFORMED. */
export function decodeMapProof(bytes: Uint8Array): MapProof {
  const malformed = (why: string) => new KeyMapError('MAP_PROOF_MALFORMED', `not a key-map proof: ${why}`);
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes');
  if (bytes.length < HEADER_SIZE) throw malformed(`${bytes.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  const type = bytes[0]!;
  const tailSize = terminalSize(type);
  if (tailSize === null) throw malformed(`unknown type 0x${type.toString(16).padStart(2, '0')}`);
  const bitmap = bytes.subarray(1, HEADER_SIZE);
  let depth = 0;
  let count = 0;
  for (let i = 0; i < MAP_MAX_DEPTH; i++) {
    if (pathBit(bitmap, i) === 1) {
      depth = i + 1;
      count++;
    }
  }
  const expected = HEADER_SIZE + count * MAP_HASH_SIZE + tailSize;
  if (bytes.length !== expected) throw malformed(`a bitmap of ${count} siblings and this type make ${expected} bytes, not ${bytes.length}`);
  const siblings: Uint8Array[] = [];
  let offset = HEADER_SIZE;
  for (let i = 0; i < depth; i++) {
    if (pathBit(bitmap, i) === 0) {
      siblings.push(MAP_EMPTY_HASH);
      continue;
    }
    const sibling = bytes.slice(offset, offset + MAP_HASH_SIZE);
    // An empty sibling has one spelling: a 0 bit. Listing its hash would be a second one.
    if (isEmptyHash(sibling)) throw malformed(`the sibling at depth ${i + 1} is listed but empty`);
    siblings.push(sibling);
    offset += MAP_HASH_SIZE;
  }
  const value = (at: number) => {
    try {
      return decodeMapValue(bytes.subarray(at, at + MAP_VALUE_SIZE));
    } catch (error) {
      throw malformed(`its value: ${(error as Error).message}`);
    }
  };
  if (type === MAP_PROOF_TYPES.present) return { siblings, terminal: { kind: 'present', value: value(offset) } };
  if (type === MAP_PROOF_TYPES.empty) return { siblings, terminal: { kind: 'empty' } };
  return { siblings, terminal: { kind: 'other', path: bytes.slice(offset, offset + MAP_HASH_SIZE), value: value(offset + MAP_HASH_SIZE) } };
}

/** The root a decoded proof leads to for the key at `path` (no checks: see verifyMapProof). */
function rootFromProof(path: Uint8Array, proof: MapProof, terminalHash: Uint8Array): Uint8Array {
  let hash = terminalHash;
  for (let d = proof.siblings.length; d >= 1; d--) {
    const sibling = proof.siblings[d - 1]!;
    hash = pathBit(path, d - 1) === 0 ? mapNodeHash(hash, sibling) : mapNodeHash(sibling, hash);
  }
  return hash;
}

/**
 * What the map with root `root` holds for `key`: its value, or null when the proof shows the key
 * is absent. Throws KeyMapError — MAP_KEY_INVALID, MAP_PROOF_MALFORMED, MAP_PROOF_KEY_MISMATCH or
 * MAP_PROOF_ROOT_MISMATCH — and nothing else, whatever the bytes. `root` must come from a verified
 * checkpoint: the proof only shows what that root commits to.
 */
export function verifyMapProof(root: Uint8Array, key: MapKey, proofBytes: Uint8Array): MapValue | null {
  const path = mapKeyPath(key);
  const proof = decodeMapProof(proofBytes);
  const depth = proof.siblings.length;
  const { terminal } = proof;
  let terminalHash: Uint8Array;
  if (terminal.kind === 'present') terminalHash = mapLeafHash(path, encodeMapValue(terminal.value));
  else if (terminal.kind === 'empty') terminalHash = MAP_EMPTY_HASH;
  else {
    // Another key's leaf proves absence only where the key's own path leads to it: its path must
    // share the `depth` bits walked, and must not be the key's own path.
    if (bytesEqual(terminal.path, path)) throw new KeyMapError('MAP_PROOF_KEY_MISMATCH', "a proof of absence ends at the key's own leaf");
    for (let i = 0; i < depth; i++) {
      if (pathBit(terminal.path, i) !== pathBit(path, i)) {
        throw new KeyMapError('MAP_PROOF_KEY_MISMATCH', `the leaf that proves absence is off the key's path at depth ${i + 1}`);
      }
    }
    terminalHash = mapLeafHash(terminal.path, encodeMapValue(terminal.value));
  }
  if (!(root instanceof Uint8Array) || root.length !== MAP_HASH_SIZE || !bytesEqual(rootFromProof(path, proof, terminalHash), root)) {
    throw new KeyMapError('MAP_PROOF_ROOT_MISMATCH', 'the proof does not lead to the map root');
  }
  return terminal.kind === 'present' ? terminal.value : null;
}
