/**
 * A bounded in-process cache that evicts roughly the least recently used entries, at the price
 * of one Map lookup per hit. Entries live in a young and an old generation: a hit in the old one
 * copies the entry into the young one; when the young one is full it becomes the old one and the
 * previous old one is dropped. A strict LRU instead re-inserts the entry on every hit, which costs
 * more than the lookup itself on a Map of many entries.
 *
 * Bounded by bytes as well as by count: each entry is charged `sizeOf(value)` bytes (the caller's
 * estimate of what the value holds, plus KEY_OVERHEAD for the key and the Map's slot), and each
 * generation holds at most half of the capacity of each. An entry larger than half the byte
 * capacity is not kept at all. An entry replaced in the young generation is charged only once.
 */
export interface CacheCapacity {
  /** The most entries held. */
  entries: number;
  /** The most bytes held, as `sizeOf` counts them. */
  bytes: number;
}

/** What an entry costs besides its value: the key, the Map's slot and the value's object header. */
export const KEY_OVERHEAD = 128;

/**
 * The values of a generation by key, each charged `charge(value)` (its size and KEY_OVERHEAD),
 * worked out again when it leaves rather than kept beside it: a value of its own for the charge
 * would be one more object per entry, which every full collection of V8's heap marks (at 100,000
 * held lookup pages, most of a lookup's collector time). So a value's size must not change while
 * it is held.
 */
class Generation<K, V> {
  readonly values = new Map<K, V>();
  bytes = 0;

  constructor(private readonly charge: (value: V) => number) {}

  set(key: K, value: V, bytes: number): void {
    const old = this.values.get(key);
    if (old !== undefined) this.bytes -= this.charge(old);
    this.values.set(key, value);
    this.bytes += bytes;
  }

  delete(key: K): void {
    const old = this.values.get(key);
    if (old === undefined) return;
    this.bytes -= this.charge(old);
    this.values.delete(key);
  }
}

export class GenerationalCache<K, V> {
  private young: Generation<K, V>;
  private old: Generation<K, V>;
  private readonly capacity: CacheCapacity;
  /** What an entry is charged: its value's size and KEY_OVERHEAD. */
  private readonly charge: (value: V) => number;

  /**
   * `capacity`: a count alone (each entry then costs 0 bytes), or a count and a byte bound with the
   * value's size. `sizeOf` must return the same for a value for as long as the cache holds it (from
   * its set until it is replaced, dropped or aged out): an entry's charge is worked out again when it
   * leaves (see Generation), so a value that grows or shrinks while held (a field changed, a Buffer
   * whose ArrayBuffer is detached) would leave `bytes` wrong for good. Hold values that cannot change.
   */
  constructor(
    capacity: number | CacheCapacity,
    sizeOf: (value: V) => number = () => 0,
  ) {
    this.capacity = typeof capacity === 'number' ? { entries: capacity, bytes: Number.POSITIVE_INFINITY } : capacity;
    this.charge = (value) => sizeOf(value) + KEY_OVERHEAD;
    this.young = new Generation(this.charge);
    this.old = new Generation(this.charge);
  }

  get(key: K): V | undefined {
    const held = this.young.values.get(key);
    if (held !== undefined) return held;
    const aged = this.old.values.get(key);
    if (aged !== undefined) this.place(key, aged, this.charge(aged));
    return aged;
  }

  set(key: K, value: V): void {
    this.place(key, value, this.charge(value));
  }

  /**
   * Sets the entry if the young generation holds it without aging: false when it would not, and
   * nothing is set. For a preload, which fills one generation's half of the capacity: filling both
   * would gain nothing, since the first hits on the old generation copy into the young one, whose
   * aging then drops the rest of the old one. An entry too large to keep is not kept, as with
   * `set`, and true is returned: the generation still has room for the next.
   */
  setIfRoom(key: K, value: V): boolean {
    const bytes = this.charge(value);
    const half = this.half();
    if (bytes <= half.bytes && (this.young.bytes + bytes >= half.bytes || this.young.values.size + 1 >= half.entries)) return false;
    this.place(key, value, bytes);
    return true;
  }

  /** The bytes held by both generations, as charged. */
  get bytes(): number {
    return this.young.bytes + this.old.bytes;
  }

  /** The entries held by both generations (a key in both counts twice). */
  get size(): number {
    return this.young.values.size + this.old.values.size;
  }

  private place(key: K, value: V, bytes: number): void {
    const half = this.half();
    if (bytes > half.bytes) {
      // Too large to keep; a stale copy must not be served instead of the value just set.
      this.drop(key);
      return;
    }
    // Make room first, so that a generation never holds more than its half.
    const replaced = this.young.values.get(key);
    if (this.young.bytes - (replaced === undefined ? 0 : this.charge(replaced)) + bytes > half.bytes) this.age();
    this.young.set(key, value, bytes);
    if (this.young.values.size >= half.entries || this.young.bytes >= half.bytes) this.age();
  }

  /** What each generation holds at most. */
  private half(): CacheCapacity {
    return { entries: Math.max(1, this.capacity.entries / 2), bytes: this.capacity.bytes / 2 };
  }

  private age(): void {
    this.old = this.young;
    this.young = new Generation(this.charge);
  }

  private drop(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }
}
