/**
 * The prover's side of the key map (docs/DESIGN.md §5.2): the whole tree in memory, updated in
 * batches, with the root after each batch and a proof for any key, present or not.
 *
 * The tree is kept exactly in the canonical shape the format defines: a leaf at the shortest
 * prefix of its path that no other key shares, a node only where at least two keys lie below.
 * Keys are only ever added or changed (the log has no deletions), so an insert either replaces a
 * leaf's value, fills an empty child, or splits a leaf into a short chain of nodes ending where
 * the two paths part — the shape stays canonical without any rebalancing.
 *
 * Hashes are computed lazily: an update clears the cached hash of every node on its path, and
 * `root()` rehashes only the cleared nodes, so a batch of many keys shares the work on common
 * ancestors (as Trillian's HStar3 does level by level). Building n keys from scratch costs about
 * 2n hashes plus one per key for its path.
 *
 * `fork()` gives a second map that shares every node with this one, in O(1): the tree is
 * persistent. Each map owns the nodes it created since its last fork and changes only those in
 * place; a node it does not own (shared with another map) is copied on the way down, so an update
 * never shows through another map. A server keeps the map of each recent log size this way (one
 * path of new nodes per changed key) and proves against the one its answer's checkpoint names.
 *
 * The nodes live in typed arrays shared by a map and its forks (key-map-arena.ts), about 190
 * bytes a key in use instead of 1.2 KB of objects (the arena reserves up to 2–4 times that, more
 * until V8 collects dropped versions): a node is a number, and nothing this class hands out
 * (roots, siblings, paths, values) is a view of the arena, which moves nodes when it collects —
 * each is a copy, except an empty subtree's hash, which is the shared MAP_EMPTY_HASH (callers
 * must not write to a root or sibling).
 */
import { EMPTY, Arena, type Ref, type Version } from './key-map-arena.js';
import {
  decodeMapValue,
  encodeMapProof,
  encodeMapValue,
  mapKeyPath,
  mapLeafHash,
  mapNodeHash,
  MAP_EMPTY_HASH,
  MAP_HASH_SIZE,
  MAP_VALUE_SIZE,
  pathBit,
  type MapKey,
  type MapProof,
  type MapUpdate,
  type MapValue,
} from './key-map.js';

const H = MAP_HASH_SIZE;
const V = MAP_VALUE_SIZE;

// Where a node's two child hashes are gathered to be hashed (hashing is synchronous: nothing else writes them meanwhile).
const childHashes = new Uint8Array(2 * H);
const leftHash = childHashes.subarray(0, H);
const rightHash = childHashes.subarray(H);

export class KeyMap {
  private arena = new Arena();
  private version: Version = this.arena.track(EMPTY);
  private count = 0;
  /** The generation whose branches this map changes in place: the ones it made since its last fork. */
  private generation = this.arena.nextGeneration();

  /** How many keys the map holds. */
  get size(): number {
    return this.count;
  }

  /** Sets `key` to `value`. The root is recomputed at the next root() or proof. */
  set(key: MapKey, value: MapValue): void {
    const path = mapKeyPath(key);
    const valueBytes = encodeMapValue(value);
    this.arena.reserveLeaves(1);
    this.setPath(path, valueBytes);
  }

  /**
   * Applies a batch of updates in order (a later update of a key wins) and returns the new root.
   * All or nothing: every update is read and encoded first, so one that is invalid (or an
   * iterator, like the fold's, that throws) leaves the map as it was; so does a batch whose leaves
   * the arena cannot hold (a RangeError, key-map-arena.ts LEAF_SLOTS). Running out of memory, or of
   * branch slots, part way leaves the arena sound and every other map as it was, and this one
   * holding the batch's first updates: the server applies a batch to a fresh fork, which it drops
   * when anything throws.
   */
  apply(updates: Iterable<MapUpdate>): Uint8Array {
    const encoded = Array.from(updates, ({ key, value }) => [mapKeyPath(key), encodeMapValue(value)] as const);
    this.arena.reserveLeaves(encoded.length);
    for (const [path, valueBytes] of encoded) this.setPath(path, valueBytes);
    return this.root();
  }

  /** The map's root: MAP_EMPTY_HASH for the empty map. */
  root(): Uint8Array {
    return this.hashCopy(this.hashed(this.version.top));
  }

  /**
   * A copy of this map, in O(1): the two share every node, and an update to either never shows in
   * the other (each copies a shared node before changing it).
   */
  fork(): KeyMap {
    const copy = new KeyMap();
    copy.arena = this.arena;
    copy.version = this.arena.track(this.version.top);
    copy.count = this.count;
    copy.generation = this.arena.nextGeneration();
    // Every node this map owned is shared from now on: it must copy them too before a change.
    this.generation = this.arena.nextGeneration();
    return copy;
  }

  private setPath(path: Uint8Array, valueBytes: Uint8Array): void {
    const arena = this.arena;
    arena.reserve(); // the only point where nodes may move: no ref is held yet
    const fresh = arena.newLeaf(path, valueBytes, mapLeafHash(path, valueBytes));
    let parent: Ref = EMPTY;
    let side = 0;
    let node = this.version.top;
    for (let depth = 0; ; depth++) {
      if (node <= 0) {
        const replaces = node < 0 && arena.leafHasPath(-node, path);
        this.link(parent, side, node === EMPTY || replaces ? fresh : this.split(-node, fresh, depth));
        if (!replaces) this.count++;
        return;
      }
      let own = node;
      if (arena.owner[node] !== this.generation) {
        own = arena.newBranch(this.generation, arena.left[node]!, arena.right[node]!);
        this.link(parent, side, own);
      }
      arena.hashed[own] = 0;
      parent = own;
      side = pathBit(path, depth);
      node = side === 0 ? arena.left[own]! : arena.right[own]!;
    }
  }

  /** The chain of branches that holds leaf `old` (an index) and the leaf `fresh` (a ref), whose paths agree on their first `depth` bits. */
  private split(old: number, fresh: Ref, depth: number): Ref {
    const arena = this.arena;
    let d = depth;
    while (arena.leafPathBit(old, d) === arena.leafPathBit(-fresh, d)) d++; // the paths differ, so d < 256
    let node = arena.leafPathBit(old, d) === 0 ? arena.newBranch(this.generation, -old, fresh) : arena.newBranch(this.generation, fresh, -old);
    for (let i = d - 1; i >= depth; i--) node = arena.leafPathBit(old, i) === 0 ? arena.newBranch(this.generation, node, EMPTY) : arena.newBranch(this.generation, EMPTY, node);
    return node;
  }

  /** Puts `child` where the walk came from: under `parent` on `side`, or at the top. */
  private link(parent: Ref, side: number, child: Ref): void {
    if (parent === EMPTY) this.version.top = child;
    else if (side === 0) this.arena.left[parent] = child;
    else this.arena.right[parent] = child;
  }

  /**
   * `ref`, after hashing every branch below it whose hash an update cleared. Filling in the hash of
   * a shared branch is safe: a branch's subtree never changes once it is shared.
   */
  private hashed(ref: Ref): Ref {
    const arena = this.arena;
    if (ref <= 0 || arena.hashed[ref] === 1) return ref;
    const left = this.hashed(arena.left[ref]!);
    const right = this.hashed(arena.right[ref]!);
    this.copyHash(left, leftHash);
    this.copyHash(right, rightHash);
    arena.branchHash.set(mapNodeHash(leftHash, rightHash), ref * H);
    arena.hashed[ref] = 1;
    return ref;
  }

  /** Writes the (computed) hash of `ref` into `out`. */
  private copyHash(ref: Ref, out: Uint8Array): void {
    if (ref === EMPTY) out.fill(0);
    else if (ref > 0) out.set(this.arena.branchHash.subarray(ref * H, (ref + 1) * H));
    else out.set(this.arena.leafHash.subarray(-ref * H, (-ref + 1) * H));
  }

  /** A new array with the (computed) hash of `ref`; MAP_EMPTY_HASH itself, not a copy, for an empty subtree. */
  private hashCopy(ref: Ref): Uint8Array {
    if (ref === EMPTY) return MAP_EMPTY_HASH;
    return ref > 0 ? this.arena.branchHash.slice(ref * H, (ref + 1) * H) : this.arena.leafHash.slice(-ref * H, (-ref + 1) * H);
  }

  /** The ref where the walk down `path` ends: a leaf, or an empty subtree; and the siblings passed on the way when `siblings` is given. */
  private walk(path: Uint8Array, siblings?: Uint8Array[]): Ref {
    const arena = this.arena;
    let node = this.version.top;
    for (let depth = 0; node > 0; depth++) {
      const right = pathBit(path, depth) === 1;
      siblings?.push(this.hashCopy(right ? arena.left[node]! : arena.right[node]!));
      node = right ? arena.right[node]! : arena.left[node]!;
    }
    return node;
  }

  private leafValue(leaf: number): MapValue {
    return decodeMapValue(this.arena.value.subarray(leaf * V, (leaf + 1) * V));
  }

  /** The value of `key`, or null when the map does not hold it. */
  get(key: MapKey): MapValue | null {
    const path = mapKeyPath(key);
    const node = this.walk(path);
    return node < 0 && this.arena.leafHasPath(-node, path) ? this.leafValue(-node) : null;
  }

  /** The proof of `key`'s value, or of its absence, against the current root. */
  prove(key: MapKey): MapProof {
    this.hashed(this.version.top);
    const path = mapKeyPath(key);
    const siblings: Uint8Array[] = [];
    const node = this.walk(path, siblings);
    if (node === EMPTY) return { siblings, terminal: { kind: 'empty' } };
    const value = this.leafValue(-node);
    return this.arena.leafHasPath(-node, path)
      ? { siblings, terminal: { kind: 'present', value } }
      : { siblings, terminal: { kind: 'other', path: this.arena.path.slice(-node * H, (-node + 1) * H), value } };
  }

  /** prove(key) in the byte format of docs/DESIGN.md §5.2.5. */
  proveBytes(key: MapKey): Uint8Array {
    return encodeMapProof(this.prove(key));
  }

  /** What the map's arena (shared with its forks) holds: nodes allocated, garbage included until its next collection, and bytes reserved. */
  arenaStats(): { branches: number; leaves: number; bytes: number } {
    return this.arena.stats();
  }
}
