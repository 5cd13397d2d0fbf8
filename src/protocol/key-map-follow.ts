/**
 * A verifier's own key map (DESIGN.md §5.1, MAP_ROOT_MISMATCH): the fold of the log entries it has
 * read (key-map-fold.ts), in order, and the check of a checkpoint's signed map root against the
 * root it recomputes for the same size. `peerkeys log verify`, `peerkeys verify-log` and the mirror
 * each keep one beside their replay of the log.
 *
 * Compare a checkpoint's map root only once its log root is known to be the root of the entries
 * folded: then the entries are the ones the registry signed, and a different map root is the
 * registry's own signed false statement, provable by anyone who has the log.
 */
import type { Checkpoint } from './checkpoint.js';
import { bytesEqual, toBase64 } from './encoding.js';
import { KeyMapError } from './errors.js';
import { mapUpdateOf, type MapRecord } from './key-map-fold.js';
import { KeyMap } from './key-map-tree.js';

/** What comparing a checkpoint's map root with the recomputed one found. */
export type MapRootCheck =
  | { status: 'match'; root: Uint8Array }
  /** The checkpoint signs `signed`; the fold of its first `size` entries is `recomputed`. */
  | { status: 'mismatch'; signed: Uint8Array; recomputed: Uint8Array }
  /** A checkpoint without map lines (signed by a registry from before the key map): nothing to compare. */
  | { status: 'no-map-root' }
  /** An entry at or before the checkpoint's size could not be folded (a record without a key): the map is not known. */
  | { status: 'not-folded'; index: number; message: string };

/** An entry as a verifier read it: its record is whatever the source served, not yet checked. */
export interface FoldableEntry {
  index: number;
  acceptedAt: string;
  record: unknown;
}

export class FoldedKeyMap {
  private folded: number;
  private broken: { index: number; message: string } | null = null;

  /** `map`: the map after the first `size` entries (empty for a fold from the start). */
  constructor(
    private readonly map: KeyMap = new KeyMap(),
    size = 0,
  ) {
    this.folded = size;
  }

  /** How many entries the map stands for. */
  get size(): number {
    return this.folded;
  }

  /**
   * Folds the next entry. An entry the fold cannot read (no record, no key) leaves the map unknown
   * from there on: later checks say `not-folded`, naming it (the replay reports the entry itself).
   */
  fold(entry: FoldableEntry): void {
    if (entry.index !== this.folded) throw new RangeError(`the key map is at ${this.folded} entries; entry ${entry.index} cannot be folded next`);
    this.folded++;
    if (this.broken !== null) return;
    try {
      const update = mapUpdateOf({ index: entry.index, acceptedAt: entry.acceptedAt, record: entry.record as MapRecord });
      this.map.set(update.key, update.value);
    } catch (error) {
      if (!(error instanceof KeyMapError)) throw error;
      this.broken = { index: entry.index, message: error.message };
    }
  }

  /** The recomputed root, or null when an entry could not be folded. */
  root(): Uint8Array | null {
    return this.broken === null ? this.map.root() : null;
  }

  /** Compares `checkpoint`'s map root with the fold of its first `size` entries: the size folded so far. */
  check(checkpoint: Checkpoint): MapRootCheck {
    if (checkpoint.size !== this.folded) throw new RangeError(`the key map is at ${this.folded} entries, the checkpoint has ${checkpoint.size}`);
    if (checkpoint.mapRoot === undefined) return { status: 'no-map-root' };
    if (this.broken !== null) return { status: 'not-folded', ...this.broken };
    const root = this.map.root();
    return bytesEqual(root, checkpoint.mapRoot) ? { status: 'match', root } : { status: 'mismatch', signed: checkpoint.mapRoot, recomputed: root };
  }
}

/**
 * The evidence a verifier keeps and prints when a checkpoint's map root is not the fold of its
 * entries: the signed note itself (checkable by anyone against the registry's key and its log),
 * and the two roots, in standard base64 as in the note.
 */
export interface MapRootMismatch {
  code: 'MAP_ROOT_MISMATCH';
  message: string;
  size: number;
  /** The map root the checkpoint signs. */
  mapRoot: string;
  /** The root of the fold of the checkpoint's first `size` entries. */
  recomputed: string;
  /** The signed checkpoint. */
  note: string;
}

export function mapRootMismatch(check: Extract<MapRootCheck, { status: 'mismatch' }>, size: number, note: string): MapRootMismatch {
  return {
    code: 'MAP_ROOT_MISMATCH',
    message: `the registry's checkpoint of size ${size} signs a key map root that is not the fold of its first ${size} entries`,
    size,
    mapRoot: toBase64(check.signed),
    recomputed: toBase64(check.recomputed),
    note,
  };
}
