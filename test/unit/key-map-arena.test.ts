// KeyMap keeps its nodes in an arena (src/protocol/key-map-arena.ts) that moves them when it
// collects: checked against the tree as it was before (test/helpers/key-map-reference.ts, one
// object per node) over random updates, forks, dropped forks and collections, output for output;
// and the arena's own promise, that it does not grow with updates or with dropped forks.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { toHex } from '../../src/protocol/encoding.js';
import type { Arena } from '../../src/protocol/key-map-arena.js';
import { KeyMap } from '../../src/protocol/key-map-tree.js';
import { mapLeafHash, mapNodeHash, MAP_EMPTY_HASH, pathBit, type MapKey, type MapProof, type MapUpdate, type MapValue } from '../../src/protocol/key-map.js';
import { ReferenceKeyMap } from '../helpers/key-map-reference.js';
import { mapValueArb } from '../helpers/map-arbitraries.js';
import { testId } from '../vectors/key-map/cases.js';

/** The arena a map shares with its forks: private, reached here to collect at chosen moments. */
const arenaOf = (map: KeyMap) => (map as unknown as { arena: Arena }).arena;

/** A small pool of ids, so that updates often change a key already held and absent probes often end at another key's leaf. */
const keyArb = fc.record({ kind: fc.constantFrom('user' as const, 'group' as const), id: fc.integer({ min: 0, max: 40 }).map(testId) });
const updateArb = fc.record({ key: keyArb, value: mapValueArb });
/** A value encodeMapValue refuses. */
const invalidValue: MapValue = { recordHash: new Uint8Array(32), index: 0, seq: -1, status: 'active' };

type Op =
  | { op: 'apply'; map: number; updates: MapUpdate[]; invalidAt: number | null }
  | { op: 'set'; map: number; update: MapUpdate }
  | { op: 'fork'; map: number }
  | { op: 'drop'; map: number }
  | { op: 'compact' }
  | { op: 'check'; map: number; probes: MapKey[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('apply' as const), map: fc.nat(), updates: fc.array(updateArb, { maxLength: 12 }), invalidAt: fc.option(fc.nat(12), { freq: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), map: fc.nat(), update: updateArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fork' as const), map: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), map: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('check' as const), map: fc.nat(), probes: fc.array(keyArb, { maxLength: 6 }) }) },
);

const shownValue = (v: MapValue | null) => (v === null ? null : { ...v, recordHash: toHex(v.recordHash) });
const shownProof = (p: MapProof) => ({
  siblings: p.siblings.map(toHex),
  terminal: p.terminal.kind === 'empty' ? p.terminal : { ...p.terminal, value: shownValue(p.terminal.value), ...(p.terminal.kind === 'other' ? { path: toHex(p.terminal.path) } : {}) },
});

/** Every output of a map for these keys: root, size, get, prove and proveBytes. */
function outputs(map: KeyMap | ReferenceKeyMap, keys: MapKey[]): unknown {
  return { root: toHex(map.root()), size: map.size, keys: keys.map((key) => [shownValue(map.get(key)), shownProof(map.prove(key)), toHex(map.proveBytes(key))]) };
}

function expectSame(map: KeyMap, reference: ReferenceKeyMap, keys: MapKey[]): void {
  expect(outputs(map, keys)).toEqual(outputs(reference, keys));
}

describe('KeyMap against the reference tree', () => {
  it('gives the same roots, values and proofs through random updates, forks, dropped forks and collections', () => {
    const allKeys: MapKey[] = [];
    for (let n = 0; n <= 40; n++) allKeys.push({ kind: 'user', id: testId(n) }, { kind: 'group', id: testId(n) });
    fc.assert(
      fc.property(fc.array(updateArb, { maxLength: 30 }), fc.array(opArb, { maxLength: 60 }), (start, ops) => {
        const first = new KeyMap();
        const firstReference = new ReferenceKeyMap();
        expect(toHex(first.apply(start))).toBe(toHex(firstReference.apply(start)));
        const maps: Array<[KeyMap, ReferenceKeyMap]> = [[first, firstReference]];
        for (const o of ops) {
          if (o.op === 'compact') {
            arenaOf(first).compact();
            continue;
          }
          const at = o.map % maps.length;
          const [map, reference] = maps[at]!;
          if (o.op === 'apply') {
            const updates = o.updates.slice();
            // An invalid update anywhere in the batch: both refuse it and change nothing.
            if (o.invalidAt !== null) updates.splice(o.invalidAt % (updates.length + 1), 0, { key: updates[0]?.key ?? allKeys[0]!, value: invalidValue });
            const outcome = (m: KeyMap | ReferenceKeyMap) => {
              try {
                return toHex(m.apply(updates));
              } catch (error) {
                return (error as { code?: string }).code;
              }
            };
            expect(outcome(map)).toBe(outcome(reference));
          } else if (o.op === 'set') {
            map.set(o.update.key, o.update.value);
            reference.set(o.update.key, o.update.value);
          } else if (o.op === 'fork') maps.push([map.fork(), reference.fork()]);
          else if (o.op === 'drop') {
            if (maps.length > 1) maps.splice(at, 1);
          } else expectSame(map, reference, o.probes);
        }
        arenaOf(first).compact();
        for (const [map, reference] of maps) expectSame(map, reference, allKeys);
      }),
      { numRuns: 80 },
    );
  });
});

function value(n: number): MapValue {
  const recordHash = new Uint8Array(32);
  recordHash[0] = n & 0xff;
  recordHash[1] = n >> 8;
  return { recordHash, index: n, seq: n % 7, status: 'active' };
}

/** Nodes the arena holds after a collection: what live maps reach. */
function liveNodes(map: KeyMap): number {
  arenaOf(map).compact();
  const { branches, leaves } = map.arenaStats();
  return branches + leaves;
}

describe('the arena', () => {
  it('collects the leaves and branches that updates replace: a map updated over and over does not grow', () => {
    const map = new KeyMap();
    const keys = Array.from({ length: 50 }, (_, n): MapKey => ({ kind: 'user', id: testId(n) }));
    map.apply(keys.map((key, n) => ({ key, value: value(n) })));
    const settled = liveNodes(map);
    const before = map.fork(); // shares every node, and is changed no more
    for (let round = 1; round <= 400; round++) map.apply(keys.map((key, n) => ({ key, value: value(round * 50 + n) })));
    const { branches, leaves } = map.arenaStats();
    // 20,000 updates, each a new leaf, and the copies of the nodes `before` shares: collected as
    // they go, so the arena never holds much more than twice the live nodes and its slack of 1,024.
    expect(branches + leaves).toBeLessThan(2 * 2 * settled + 1024 + 100);
    expect(liveNodes(map)).toBeLessThanOrEqual(2 * settled);
    const reference = new ReferenceKeyMap();
    reference.apply(keys.map((key, n) => ({ key, value: value(400 * 50 + n) })));
    expectSame(map, reference, keys);
    const old = new ReferenceKeyMap();
    old.apply(keys.map((key, n) => ({ key, value: value(n) })));
    expectSame(before, old, keys);
  });

  it('gives back the nodes of forks that are dropped, once the garbage collector has collected them', async () => {
    const gc = exposedGc();
    const keys = Array.from({ length: 200 }, (_, n): MapKey => ({ kind: 'user', id: testId(n) }));
    const start = keys.map((key, n) => ({ key, value: value(n) }));
    const versions: Array<[KeyMap, ReferenceKeyMap]> = [[new KeyMap(), new ReferenceKeyMap()]];
    versions[0]![0].apply(start);
    versions[0]![1].apply(start);
    const batch = (round: number) => Array.from({ length: 20 }, (_, n) => ({ key: keys[(round * 7 + n * 13) % keys.length]!, value: value(round * 1000 + n) }));
    // As map-state.ts does: each batch on a fork of the newest map, the 4 newest kept.
    for (let round = 1; round <= 40; round++) {
      const [newest, newestReference] = versions.at(-1)!;
      const next: [KeyMap, ReferenceKeyMap] = [newest.fork(), newestReference.fork()];
      next[0].apply(batch(round));
      next[1].apply(batch(round));
      versions.push(next);
      if (versions.length > 4) versions.shift();
      await collectGarbage(gc);
    }
    const live = liveNodes(versions.at(-1)![0]);
    // About 450 nodes for the newest map, and 3 older versions of 20 paths each (about 830 in
    // all, measured); without collection, 40 batches of 20 paths hold about 5,000.
    expect(live).toBeLessThan(1100);
    // Every version kept, the oldest too: a collection renumbers the top of each.
    for (const [map, reference] of versions) expectSame(map, reference, keys);
  });

  it('keeps every live map intact while V8 collects dropped ones among them, over a seeded run of forks, batches and drops', async () => {
    const gc = exposedGc();
    let seed = 19;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const keys = Array.from({ length: 120 }, (_, n): MapKey => ({ kind: n % 2 === 0 ? 'user' : 'group', id: testId(n >> 1) }));
    let counter = 0;
    const updates = (n: number) => Array.from({ length: n }, () => ({ key: keys[random(keys.length)]!, value: value(++counter) }));
    const start = updates(80);
    const maps: Array<[KeyMap, ReferenceKeyMap]> = [[new KeyMap(), new ReferenceKeyMap()]];
    maps[0]![0].apply(start);
    maps[0]![1].apply(start);
    for (let step = 0; step < 300; step++) {
      const at = random(maps.length);
      const [map, reference] = maps[at]!;
      const op = random(10);
      if (op < 5) {
        const batch = updates(1 + random(12));
        expect(toHex(map.apply(batch))).toBe(toHex(reference.apply(batch)));
      } else if (op < 8) maps.push([map.fork(), reference.fork()]);
      // Any map may go, the oldest or one between live ones: prune() then drops it from the middle.
      else if (maps.length > 1) maps.splice(at, 1);
      if (maps.length > 8) maps.shift(); // as map-state.ts drops its oldest
      if (step % 6 === 0) await collectGarbage(gc);
      if (step % 50 === 49) {
        // Collected first, so that the oldest Version the collection renumbers is a live map's.
        await collectGarbage(gc);
        arenaOf(map).compact();
        // The dropped maps are gone from the arena's list (`map`, this step's, may be one of them).
        expect((arenaOf(map) as unknown as { versions: Set<unknown> }).versions.size).toBeLessThanOrEqual(maps.length + 1);
        for (const [m, r] of maps) expectSame(m, r, keys);
      }
    }
    await collectGarbage(gc);
    arenaOf(maps[0]![0]).compact();
    for (const [m, r] of maps) expectSame(m, r, keys);
  });
});

/** V8's gc(), which Jest does not expose by default. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A full collection, after the current task: a WeakRef is cleared only once the task that last touched its target has ended. */
async function collectGarbage(gc: () => void): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

describe('the arena when memory runs out', () => {
  it('keeps its arrays the same length when growing fails part way, so the maps sharing them stay sound', () => {
    const keys = Array.from({ length: 300 }, (_, n): MapKey => ({ kind: 'user', id: testId(n) }));
    const first = keys.slice(0, 100).map((key, n) => ({ key, value: value(n) }));
    const map = new KeyMap();
    map.apply(first);
    map.root();
    const arena = arenaOf(map);
    // The third of the five branch arrays to be reallocated refuses to grow, as V8 does when an
    // ArrayBuffer cannot be allocated; `resized` builds the new array with the old one's constructor.
    let failing = true;
    const capacity = arena.owner.length;
    class Refusing extends Float64Array {
      constructor(...args: unknown[]) {
        if (failing && typeof args[0] === 'number' && args[0] > capacity) throw new RangeError('Array buffer allocation failed');
        super(...(args as [number]));
      }
    }
    const refusing = new Refusing(capacity);
    refusing.set(arena.owner);
    arena.owner = refusing;
    const grown = map.fork();
    expect(() => grown.apply(keys.slice(100).map((key, n) => ({ key, value: value(1000 + n) })))).toThrow(RangeError);
    failing = false;
    const lengths = [arena.left, arena.right, arena.owner, arena.hashed].map((a) => a.length);
    expect(lengths).toEqual([capacity, capacity, capacity, capacity]);
    expect(arena.branchHash.length).toBe(capacity * 32);
    // The map that shared the arena, and a new fork of it, still agree with the reference.
    const reference = new ReferenceKeyMap();
    reference.apply(first);
    expectSame(map, reference, keys);
    const next = map.fork();
    const batch = keys.slice(50, 300).map((key, n) => ({ key, value: value(2000 + n) }));
    const nextReference = reference.fork();
    expect(toHex(next.apply(batch))).toBe(toHex(nextReference.apply(batch)));
    expectSame(next, nextReference, keys);
    expectSame(map, reference, keys);
  });
});

describe('the arena when its arrays are full', () => {
  it('refuses a batch whose leaves do not fit before changing anything, and the map goes on', () => {
    const keys = Array.from({ length: 200 }, (_, n): MapKey => ({ kind: 'user', id: testId(n) }));
    const first = keys.slice(0, 100).map((key, n) => ({ key, value: value(n) }));
    const map = new KeyMap();
    const root = toHex(map.apply(first));
    // LEAF_SLOTS (2^26) lowered to what this test can reach: 100 leaves held, room for 49 more.
    const slots = arenaOf(map) as unknown as { leafSlots: number };
    slots.leafSlots = 150;
    const tooMany = keys.slice(100, 150).map((key, n) => ({ key, value: value(1000 + n) }));
    expect(() => map.apply(tooMany)).toThrow(RangeError);
    // The refused batch left no trace, not even its first 49 updates, which would have fitted.
    expect(toHex(map.root())).toBe(root);
    const reference = new ReferenceKeyMap();
    reference.apply(first);
    expectSame(map, reference, keys);
    expect(toHex(map.apply(tooMany.slice(0, 49)))).toBe(toHex(reference.apply(tooMany.slice(0, 49))));
    expect(() => map.set(keys[199]!, value(7))).toThrow(RangeError);
    expectSame(map, reference, keys);
  });
});

/** A (path, value bytes) pair, set through KeyMap's private setPath: real keys' paths are hashes, so no test can choose them otherwise. */
interface Entry {
  path: Uint8Array;
  valueBytes: Uint8Array;
}

/** H(S, d) of docs/DESIGN.md §5.2.4, written from the text: the hash of the members of S, whose paths share their first d bits. */
function specHash(set: Entry[], d: number): Uint8Array {
  if (set.length === 0) return MAP_EMPTY_HASH;
  if (set.length === 1) return mapLeafHash(set[0]!.path, set[0]!.valueBytes);
  return mapNodeHash(specHash(set.filter((e) => pathBit(e.path, d) === 0), d + 1), specHash(set.filter((e) => pathBit(e.path, d) === 1), d + 1));
}

/** The siblings and terminal of §5.2.5 for `path`, from H: the other half's hash at each node the walk passes. */
function specProof(set: Entry[], path: Uint8Array): { siblings: string[]; terminal: string } {
  const siblings: string[] = [];
  let below = set;
  for (let d = 0; below.length >= 2; d++) {
    const bit = pathBit(path, d);
    siblings.push(toHex(specHash(below.filter((e) => pathBit(e.path, d) !== bit), d + 1)));
    below = below.filter((e) => pathBit(e.path, d) === bit);
  }
  return { siblings, terminal: below.length === 0 ? 'empty' : toHex(below[0]!.path) + toHex(below[0]!.valueBytes) };
}

interface KeyMapInside {
  arena: Arena;
  version: { top: number };
  setPath(path: Uint8Array, valueBytes: Uint8Array): void;
  hashed(ref: number): number;
  walk(path: Uint8Array, siblings: Uint8Array[]): number;
}

/** What KeyMap proves for `path`, read through its private walk (prove() takes a key, whose path is its hash). */
function mapProof(map: KeyMap, path: Uint8Array): { siblings: string[]; terminal: string } {
  const inside = map as unknown as KeyMapInside;
  inside.hashed(inside.version.top);
  const siblings: Uint8Array[] = [];
  const node = inside.walk(path, siblings);
  const leaf = -node;
  const terminal = node === 0 ? 'empty' : toHex(inside.arena.path.slice(leaf * 32, (leaf + 1) * 32)) + toHex(inside.arena.value.slice(leaf * 49, (leaf + 1) * 49));
  return { siblings: siblings.map(toHex), terminal };
}

describe('KeyMap on paths that share all but their last bits', () => {
  const flip = (path: Uint8Array, ...bits: number[]) => {
    const out = path.slice();
    for (const i of bits) out[i >> 3]! ^= 1 << (7 - (i & 7));
    return out;
  };
  const valueBytes = (n: number) => {
    const bytes = new Uint8Array(49);
    bytes[0] = n;
    bytes[48] = 1; // status active
    return bytes;
  };

  it('builds chains down to depth 256 with the roots and proofs of H(S, d), in every map a fork kept', () => {
    for (let trial = 0; trial < 6; trial++) {
      const base = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + trial * 101) & 0xff);
      // Paths that part from `base` only at bit 255, 254, 200, 128 or 0, and one at both 255 and 254.
      const paths = [base, flip(base, 255), flip(base, 254), flip(base, 200), flip(base, 128), flip(base, 0), flip(base, 255, 254)];
      const probes = [...paths, flip(base, 253), flip(base, 100), flip(base, 255, 200), flip(base, 0, 255)];
      const order = trial % 2 === 0 ? paths : paths.slice().reverse();
      let map = new KeyMap();
      let entries = new Map<string, Entry>();
      const kept: Array<[KeyMap, Entry[]]> = [];
      order.forEach((path, n) => {
        const fresh = new Map(entries);
        const set = (p: Uint8Array, v: Uint8Array) => {
          (map as unknown as KeyMapInside).setPath(p, v);
          fresh.set(toHex(p), { path: p, valueBytes: v });
        };
        set(path, valueBytes(n + 1));
        // And a new value for a key set before, which replaces its leaf at the bottom of a chain.
        set(order[(n * 5) % (n + 1)]!, valueBytes(100 + n));
        entries = fresh;
        const all = [...entries.values()];
        expect(toHex(map.root())).toBe(toHex(specHash(all, 0)));
        expect(map.size).toBe(all.length);
        for (const probe of probes) expect(mapProof(map, probe)).toEqual(specProof(all, probe));
        kept.push([map, all]);
        map = map.fork();
        if (n % 3 === 2) arenaOf(map).compact();
      });
      for (const [old, all] of kept) {
        expect(toHex(old.root())).toBe(toHex(specHash(all, 0)));
        for (const probe of probes) expect(mapProof(old, probe)).toEqual(specProof(all, probe));
      }
    }
  });
});
