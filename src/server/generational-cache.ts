/**
 * A bounded in-process cache that evicts roughly the least recently used entries, at the price
 * of one Map lookup per hit. Entries live in a young and an old generation: a hit in the old one
 * copies the entry into the young one; when the young one is full it becomes the old one and the
 * previous old one is dropped. A strict LRU instead re-inserts the entry on every hit, which costs
 * more than the lookup itself on a Map of many entries.
 */
export class GenerationalCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  /** Holds at most `capacity` entries: each generation at most half of them. */
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= Math.max(1, this.capacity / 2)) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
