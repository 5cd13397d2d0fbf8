/**
 * The key map's tree as it was before key-map-arena.ts (one object per node, each with its own
 * Uint8Arrays): kept as the reference model the property tests of test/unit/key-map-arena.test.ts
 * compare KeyMap with, and for the memory figures of test/bench/key-map.ts (KEY_MAP_REFERENCE=1).
 * It is the straightforward version of the same algorithm — canonical shape, lazy rehash,
 * persistent fork() with copy-on-write by owner — and its nodes are freed by V8's collector.
 */
import { bytesEqual } from '../../src/protocol/encoding.js';
import {
  decodeMapValue,
  encodeMapProof,
  encodeMapValue,
  mapKeyPath,
  mapLeafHash,
  mapNodeHash,
  MAP_EMPTY_HASH,
  pathBit,
  type MapKey,
  type MapProof,
  type MapUpdate,
  type MapValue,
} from '../../src/protocol/key-map.js';

/** Who may change a node in place: the map that created it, until that map forks. */
type Owner = object;

/** A leaf never changes: a new value is a new leaf (so a shared leaf needs no copy). */
interface Leaf {
  readonly leaf: true;
  readonly path: Uint8Array;
  readonly valueBytes: Uint8Array;
  hash: Uint8Array | null;
}

interface Branch {
  readonly leaf: false;
  readonly owner: Owner;
  left: TreeNode | null;
  right: TreeNode | null;
  /** A cache: filling it in on a shared node is safe, since a node's subtree never changes once shared. */
  hash: Uint8Array | null;
}

type TreeNode = Leaf | Branch;

function branch(owner: Owner, left: TreeNode | null, right: TreeNode | null): Branch {
  return { leaf: false, owner, left, right, hash: null };
}

/** The chain of nodes that holds two leaves whose paths agree on their first `depth` bits. */
function split(owner: Owner, a: Leaf, b: Leaf, depth: number): Branch {
  let d = depth;
  while (pathBit(a.path, d) === pathBit(b.path, d)) d++; // the paths differ, so d < 256
  let node = pathBit(a.path, d) === 0 ? branch(owner, a, b) : branch(owner, b, a);
  for (let i = d - 1; i >= depth; i--) node = pathBit(a.path, i) === 0 ? branch(owner, node, null) : branch(owner, null, node);
  return node;
}

function hashOf(node: TreeNode | null): Uint8Array {
  if (node === null) return MAP_EMPTY_HASH;
  if (node.hash === null) node.hash = node.leaf ? mapLeafHash(node.path, node.valueBytes) : mapNodeHash(hashOf(node.left), hashOf(node.right));
  return node.hash;
}

export class ReferenceKeyMap {
  private top: TreeNode | null = null;
  private count = 0;
  private owner: Owner = {};

  /** How many keys the map holds. */
  get size(): number {
    return this.count;
  }

  /** Sets `key` to `value`. The root is recomputed at the next root() or proof. */
  set(key: MapKey, value: MapValue): void {
    this.setPath(mapKeyPath(key), encodeMapValue(value));
  }

  /**
   * Applies a batch of updates in order (a later update of a key wins) and returns the new root.
   * All or nothing: every update is read and encoded first, so one that is invalid (or an
   * iterator, like the fold's, that throws) leaves the map as it was.
   */
  apply(updates: Iterable<MapUpdate>): Uint8Array {
    const encoded = Array.from(updates, ({ key, value }) => [mapKeyPath(key), encodeMapValue(value)] as const);
    for (const [path, valueBytes] of encoded) this.setPath(path, valueBytes);
    return this.root();
  }

  /** The map's root: MAP_EMPTY_HASH for the empty map. */
  root(): Uint8Array {
    return hashOf(this.top);
  }

  /**
   * A copy of this map, in O(1): the two share every node, and an update to either never shows in
   * the other (each copies a shared node before changing it).
   */
  fork(): ReferenceKeyMap {
    const copy = new ReferenceKeyMap();
    copy.top = this.top;
    copy.count = this.count;
    // Every node this map owned is shared from now on: it must copy them too before a change.
    this.owner = {};
    return copy;
  }

  private setPath(path: Uint8Array, valueBytes: Uint8Array): void {
    const fresh: Leaf = { leaf: true, path, valueBytes, hash: null };
    let parent: Branch | null = null;
    let side = 0;
    let node = this.top;
    for (let depth = 0; ; depth++) {
      if (node === null || node.leaf) {
        const replaces = node !== null && bytesEqual(node.path, path);
        this.link(parent, side, node === null || replaces ? fresh : split(this.owner, node, fresh, depth));
        if (!replaces) this.count++;
        return;
      }
      let own: Branch = node;
      if (own.owner !== this.owner) {
        own = branch(this.owner, node.left, node.right);
        this.link(parent, side, own);
      }
      own.hash = null;
      parent = own;
      side = pathBit(path, depth);
      node = side === 0 ? own.left : own.right;
    }
  }

  /** Puts `child` where the walk came from: under `parent` on `side`, or at the top. */
  private link(parent: Branch | null, side: number, child: TreeNode): void {
    if (parent === null) this.top = child;
    else if (side === 0) parent.left = child;
    else parent.right = child;
  }

  /** The value of `key`, or null when the map does not hold it. */
  get(key: MapKey): MapValue | null {
    const path = mapKeyPath(key);
    let node = this.top;
    for (let depth = 0; node !== null && !node.leaf; depth++) node = pathBit(path, depth) === 0 ? node.left : node.right;
    return node !== null && bytesEqual(node.path, path) ? decodeMapValue(node.valueBytes) : null;
  }

  /** The proof of `key`'s value, or of its absence, against the current root. */
  prove(key: MapKey): MapProof {
    hashOf(this.top);
    const path = mapKeyPath(key);
    const siblings: Uint8Array[] = [];
    let node = this.top;
    for (let depth = 0; node !== null && !node.leaf; depth++) {
      const right = pathBit(path, depth) === 1;
      siblings.push(hashOf(right ? node.left : node.right));
      node = right ? node.right : node.left;
    }
    if (node === null) return { siblings, terminal: { kind: 'empty' } };
    const value = decodeMapValue(node.valueBytes);
    return bytesEqual(node.path, path) ? { siblings, terminal: { kind: 'present', value } } : { siblings, terminal: { kind: 'other', path: node.path.slice(), value } };
  }

  /** prove(key) in the byte format of docs/DESIGN.md §5.2.5. */
  proveBytes(key: MapKey): Uint8Array {
    return encodeMapProof(this.prove(key));
  }
}
