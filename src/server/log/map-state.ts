/**
 * The key map (DESIGN.md §5.2) kept in step with the log: the map after exactly `size` entries,
 * for each recent size, so that every checkpoint signed commits to the fold of exactly its size
 * and every proof served is against the checkpoint it is served with.
 *
 * - At start the map is built from the chains' tables (db/key-map-repository.ts: one read), not by
 *   replaying the log.
 * - The log writer forks the map of the size it locked, applies its batch (the fold of the new
 *   entries, key-map-fold.ts), signs the new root and publishes the fork once its transaction has
 *   committed — never before: a rolled-back batch leaves no trace here.
 * - A process whose map is behind the log (another process appended; a mirror's follower copied
 *   entries) folds the missing entries, read from log_entries by index, before it proves or signs.
 *
 * Maps are persistent (KeyMap.fork): keeping the last VERSIONS of them costs one path of nodes per
 * changed key. A published map is never changed again, only forked.
 */
import type { Database, Sql } from '../../db/database.js';
import { readMapHeads } from '../../db/key-map-repository.js';
import { readEntries } from '../../db/log-repository.js';
import { mapUpdatesOf, type MapRecord } from '../../protocol/key-map-fold.js';
import { KeyMap } from '../../protocol/key-map-tree.js';
import type { LogEntry } from '../../protocol/log-entry.js';

/** How many recent sizes keep their map: enough for answers whose checkpoint was read a few batches ago. */
const VERSIONS = 64;
/** Entries read per statement when catching up. */
const CHUNK = 1000;

export class MapState {
  /** Published maps by size, oldest first (insertion order). */
  private readonly versions = new Map<number, KeyMap>();
  private newest: { size: number; map: KeyMap };
  /** The catch-up from the pool in flight, shared by the lookups that need it. */
  private catchingUp: Promise<void> | null = null;

  private constructor(
    private readonly db: Database,
    size: number,
    map: KeyMap,
  ) {
    this.newest = { size, map };
    this.versions.set(size, map);
  }

  /** The map at the log's current size, from the chains' tables. */
  static async load(db: Database): Promise<MapState> {
    const { size, heads } = await readMapHeads(db);
    const map = new KeyMap();
    map.apply(heads);
    return new MapState(db, size, map);
  }

  /** The size of the newest map held. */
  get size(): number {
    return this.newest.size;
  }

  /**
   * The map after exactly the first `size` entries, which must be committed; null when `size` is
   * older than every map still held (the caller reads a newer checkpoint). `tx`: the transaction
   * that holds the log lock, for the writer — it reads the entries itself and waits for no one.
   */
  async at(size: number, tx?: Sql): Promise<KeyMap | null> {
    for (;;) {
      const held = this.versions.get(size);
      if (held !== undefined) return held;
      if (size < this.newest.size) return null;
      if (tx !== undefined) return this.foldTo(size, tx);
      // Lookups share one catch-up; each then looks again (the one in flight may stop short of `size`).
      if (this.catchingUp === null) {
        this.catchingUp = this.foldTo(size, this.db).then(
          () => void (this.catchingUp = null),
          (error: unknown) => {
            this.catchingUp = null;
            throw error;
          },
        );
      }
      await this.catchingUp;
    }
  }

  /** The map at exactly `size` if it is still held, without catching up: for the writer's hand-over, which must not wait. */
  held(size: number): KeyMap | undefined {
    return this.versions.get(size);
  }

  /**
   * Makes `map` the map at `size`, once the entries up to `size` are committed. A size already
   * reached is left as it is: the map of a size is the fold of its entries, whoever computed it.
   */
  publish(size: number, map: KeyMap): void {
    if (size <= this.newest.size) return;
    this.newest = { size, map };
    this.versions.set(size, map);
    for (const old of this.versions.keys()) {
      if (this.versions.size <= VERSIONS) break;
      this.versions.delete(old);
    }
  }

  /**
   * Folds the committed entries from the newest map's size to `size` into a fork of it, and
   * publishes it. Null for a size below the newest that is no longer held: never another size's
   * map, which would make proofs against a root the checkpoint does not commit to.
   */
  private async foldTo(size: number, db: Sql): Promise<KeyMap | null> {
    const { size: from, map: base } = this.newest;
    if (size <= from) return this.versions.get(size) ?? null;
    const map = base.fork();
    for (let start = from; start < size; ) {
      const rows = await readEntries(db, start, Math.min(CHUNK, size - start));
      if (rows.length === 0) throw new Error(`the log has no entry ${start} below its checkpoint of size ${size}`);
      const entries: Array<LogEntry<MapRecord>> = rows.map((row) => ({ index: row.index, acceptedAt: row.acceptedAt.toISOString(), record: JSON.parse(row.record) as MapRecord }));
      map.apply(mapUpdatesOf(entries, start));
      start += rows.length;
    }
    map.root();
    this.publish(size, map);
    return map;
  }
}
