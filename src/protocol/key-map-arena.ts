/**
 * Where the key map's nodes live (key-map-tree.ts): a few growable typed arrays shared by a map
 * and every fork of it, instead of one object per node. A key in use costs about 190 bytes (its
 * leaf — path, value bytes and hash — and one or two branches), where a leaf object with its own
 * three Uint8Arrays and a branch object with its own hash cost about 1.2 KB; and the garbage
 * collector has a handful of objects to trace instead of several per key. The arena reserves up to
 * 2–4 times that (nodes in use, garbage included, up to twice the live ones before a collection, and arrays that double;
 * 276 B a key reserved at 50,000 keys in a review), and more until V8 collects the versions a server dropped.
 *
 * A node is named by a number, a `Ref`: 0 is an empty subtree, r > 0 the branch at index r, r < 0
 * the leaf at index -r (index 0 of each array is never used).
 *
 * The arrays are not freed by the garbage collector node by node, so the arena collects its own:
 * every map that shares it is registered through a WeakRef to its `Version` (the object holding
 * its top node), and once the nodes allocated exceed twice those that were live at the last
 * collection, `compact()` marks what the live maps reach and slides it down. A map dropped by its
 * holder (an old log size's map in server/log/map-state.ts, a writer's batch that rolled back)
 * is reclaimed after V8 has collected its Version; until then its nodes count as live, which only
 * delays their reuse. Compaction moves nodes, so it runs only between updates (reserve()), never
 * while a walk holds refs, and nothing handed out of the arena is a view of its arrays.
 */
import { MAP_HASH_SIZE, MAP_VALUE_SIZE } from './key-map.js';

/** 0: empty; r > 0: branch r; r < 0: leaf -r. */
export type Ref = number;
export const EMPTY: Ref = 0;

/** The top node of one map: the root the arena collects from, and rewrites when nodes move. */
export interface Version {
  top: Ref;
}

const H = MAP_HASH_SIZE;
const V = MAP_VALUE_SIZE;
/** Nodes allocated beyond twice the live ones before a collection: small maps collect rarely, large ones in proportion. */
const SLACK = 1024;
/**
 * The most slots each array may have. V8 caps a typed array at 2^32 elements (Node 20): the leaf
 * values, 49 bytes a slot, would pass it at 2^27 slots, and the branch hashes, 32 bytes, beyond
 * 2^27. So a map holds at most 2^26 - 1 keys (slot 0 is unused; about 12 GB of arena at 190 B a
 * key), and branches, about 1.4 a key in a tree of hashed paths, have twice that room. Growth
 * stops there with a RangeError, before changing anything; KeyMap.apply checks the leaves a
 * batch needs first, so that a batch that cannot fit changes nothing either.
 */
export const LEAF_SLOTS = 2 ** 26;
export const BRANCH_SLOTS = 2 ** 27;

export class Arena {
  /** The next free branch index, and so 1 + the number of branches allocated. */
  branches = 1;
  // Empty until the first node: KeyMap.fork makes a map whose own arena it replaces at once.
  left = new Int32Array(0);
  right = new Int32Array(0);
  /**
   * The generation of the map that may change the branch in place (KeyMap.fork gives both maps a
   * new one); a float, so that it never wraps within the life of a process.
   */
  owner = new Float64Array(0);
  /** 1 when branchHash holds the branch's hash; an update clears it on its path (the lazy rehash). */
  hashed = new Uint8Array(0);
  branchHash = new Uint8Array(0);

  /** The next free leaf index. Leaves never change: a new value is a new leaf, hashed when made. */
  leaves = 1;
  path = new Uint8Array(0);
  value = new Uint8Array(0);
  leafHash = new Uint8Array(0);

  private generations = 0;
  private readonly versions = new Set<WeakRef<Version>>();
  private pruneAt = 64;
  private compactAt = SLACK;
  /** LEAF_SLOTS and BRANCH_SLOTS; fields so that a test can lower them. */
  private readonly leafSlots = LEAF_SLOTS;
  private readonly branchSlots = BRANCH_SLOTS;

  /** A generation no node has yet. */
  nextGeneration(): number {
    return ++this.generations;
  }

  /** Registers a map's top node, so that collections keep what it reaches and update it when nodes move. */
  track(top: Ref): Version {
    const version: Version = { top };
    if (this.versions.size >= this.pruneAt) {
      this.prune();
      this.pruneAt = 2 * this.versions.size + 64;
    }
    this.versions.add(new WeakRef(version));
    return version;
  }

  /** Called before each update, when no walk holds a ref: collects when garbage may exceed the live nodes. */
  reserve(): void {
    if (this.branches + this.leaves > this.compactAt) this.compact();
  }

  /**
   * Throws a RangeError, before anything changes, when `leaves` more leaves would not fit even
   * after a collection (see LEAF_SLOTS): each update of a batch makes at most one leaf.
   */
  reserveLeaves(leaves: number): void {
    if (this.leaves + leaves <= this.leafSlots) return;
    this.compact();
    if (this.leaves + leaves > this.leafSlots) throw new RangeError(`the key map holds at most ${this.leafSlots - 1} leaves`);
  }

  newBranch(owner: number, left: Ref, right: Ref): Ref {
    const id = this.branches;
    if (id >= this.left.length) this.resizeBranches(grown(id, this.branchSlots, 'branches'));
    this.branches++;
    this.left[id] = left;
    this.right[id] = right;
    this.owner[id] = owner;
    this.hashed[id] = 0;
    return id;
  }

  /** A leaf for a 32-byte path and 49 value bytes, with its hash. */
  newLeaf(path: Uint8Array, valueBytes: Uint8Array, hash: Uint8Array): Ref {
    const id = this.leaves;
    if (id * V >= this.value.length) this.resizeLeaves(grown(id, this.leafSlots, 'leaves'));
    this.leaves++;
    this.path.set(path, id * H);
    this.value.set(valueBytes, id * V);
    this.leafHash.set(hash, id * H);
    return -id;
  }

  /** Whether leaf `leaf` (an index, not a ref) has the path `path`. */
  leafHasPath(leaf: number, path: Uint8Array): boolean {
    const at = leaf * H;
    for (let i = 0; i < H; i++) if (this.path[at + i] !== path[i]) return false;
    return true;
  }

  /** Bit `i` of leaf `leaf`'s path (as pathBit in key-map.ts). */
  leafPathBit(leaf: number, i: number): number {
    return (this.path[leaf * H + (i >> 3)]! >> (7 - (i & 7))) & 1;
  }

  /**
   * Keeps only the nodes some live map reaches, moved down to the lowest indices in their order
   * (so a node only ever moves to an index it has already passed), and every map's top with them.
   */
  compact(): void {
    const live = this.prune();
    const branchTo = new Int32Array(this.branches);
    const leafTo = new Int32Array(this.leaves);
    const stack: Ref[] = live.map((v) => v.top);
    while (stack.length > 0) {
      const ref = stack.pop()!;
      if (ref < 0) leafTo[-ref] = 1;
      else if (ref > 0 && branchTo[ref] === 0) {
        branchTo[ref] = 1;
        stack.push(this.left[ref]!, this.right[ref]!);
      }
    }
    let branches = 1;
    for (let i = 1; i < this.branches; i++) if (branchTo[i] !== 0) branchTo[i] = branches++;
    let leaves = 1;
    for (let i = 1; i < this.leaves; i++) if (leafTo[i] !== 0) leafTo[i] = leaves++;
    const moved = (ref: Ref): Ref => (ref > 0 ? branchTo[ref]! : ref < 0 ? -leafTo[-ref]! : EMPTY);
    for (let i = 1; i < this.branches; i++) {
      const to = branchTo[i]!;
      if (to === 0) continue;
      this.left[to] = moved(this.left[i]!);
      this.right[to] = moved(this.right[i]!);
      this.owner[to] = this.owner[i]!;
      this.hashed[to] = this.hashed[i]!;
      this.branchHash.copyWithin(to * H, i * H, (i + 1) * H);
    }
    for (let i = 1; i < this.leaves; i++) {
      const to = leafTo[i]!;
      if (to === 0 || to === i) continue;
      this.path.copyWithin(to * H, i * H, (i + 1) * H);
      this.value.copyWithin(to * V, i * V, (i + 1) * V);
      this.leafHash.copyWithin(to * H, i * H, (i + 1) * H);
    }
    for (const version of live) version.top = moved(version.top);
    this.branches = branches;
    this.leaves = leaves;
    // Give memory back when most of it is now free, keeping room to reach the next collection.
    if (this.left.length > 4 * branches + SLACK) this.resizeBranches(Math.min(2 * branches + SLACK, this.branchSlots));
    if (this.value.length / V > 4 * leaves + SLACK) this.resizeLeaves(Math.min(2 * leaves + SLACK, this.leafSlots));
    this.compactAt = 2 * (branches + leaves) + SLACK;
  }

  /** What the arena holds, for tests and benchmarks: nodes in use (garbage included until a collection) and bytes reserved. */
  stats(): { branches: number; leaves: number; bytes: number } {
    const bytes = [this.left, this.right, this.owner, this.hashed, this.branchHash, this.path, this.value, this.leafHash].reduce((n, a) => n + a.byteLength, 0);
    return { branches: this.branches - 1, leaves: this.leaves - 1, bytes };
  }

  /** The Versions still alive, forgetting the ones V8 has collected. */
  private prune(): Version[] {
    const live: Version[] = [];
    for (const ref of this.versions) {
      const version = ref.deref();
      if (version === undefined) this.versions.delete(ref);
      else live.push(version);
    }
    return live;
  }

  // Each allocates every new array before it replaces any: an allocation that fails (out of
  // memory) then leaves all of them as they were, never some grown and some not — that would
  // drop writes past the shorter ones' end and corrupt every map sharing the arena.
  private resizeBranches(capacity: number): void {
    const keep = this.branches;
    const left = resized(this.left, capacity, keep);
    const right = resized(this.right, capacity, keep);
    const owner = resized(this.owner, capacity, keep);
    const hashed = resized(this.hashed, capacity, keep);
    const branchHash = resized(this.branchHash, capacity * H, keep * H);
    this.left = left;
    this.right = right;
    this.owner = owner;
    this.hashed = hashed;
    this.branchHash = branchHash;
  }

  private resizeLeaves(capacity: number): void {
    const keep = this.leaves;
    const path = resized(this.path, capacity * H, keep * H);
    const value = resized(this.value, capacity * V, keep * V);
    const leafHash = resized(this.leafHash, capacity * H, keep * H);
    this.path = path;
    this.value = value;
    this.leafHash = leafHash;
  }
}

/** The capacity for slot `id` (twice it, at most `slots`); a RangeError, before any change, when `id` is past the last slot. */
function grown(id: number, slots: number, what: string): number {
  if (id >= slots) throw new RangeError(`the key map holds at most ${slots - 1} ${what}`);
  return Math.min(Math.max(16, 2 * id), slots);
}

type Growable = Int32Array | Float64Array | Uint8Array;

/** A copy of the first `keep` elements of `array` in a new array of `length`. */
function resized<T extends Growable>(array: T, length: number, keep: number): T {
  const out = new (array.constructor as new (length: number) => T)(length);
  out.set(array.subarray(0, keep) as never);
  return out;
}
