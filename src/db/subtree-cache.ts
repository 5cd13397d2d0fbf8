/**
 * Completed subtree hashes held densely in memory: per level, one growable byte array with 32
 * bytes per subtree and a flag per subtree saying whether it is held. The log is append-only and a
 * completed subtree never changes, so nothing is ever evicted; a log of n entries takes about
 * 66·n bytes (two subtrees per leaf), 9 MB for 140,000 entries. Memory is bounded by bytes: when
 * growing a level would take the arrays past `maxBytes`, the lowest level still held is dropped
 * for good (the lowest levels are the largest, and a proof needs only one hash from each level,
 * which it then reads from the database) — until the growth fits, or the level that grows is
 * itself the lowest, and is dropped.
 */
import type { Subtree } from '../protocol/merkle.js';

const HASH_BYTES = 32;
const INITIAL_SLOTS = 1024;

interface Level {
  hashes: Uint8Array;
  held: Uint8Array;
}

const levelBytes = (level: Level | 'dropped' | undefined) => (level === undefined || level === 'dropped' ? 0 : level.hashes.length + level.held.length);

export class SubtreeCache {
  private readonly levels: Array<Level | 'dropped' | undefined> = [];
  /** What the levels' arrays take. */
  private allocated = 0;

  constructor(private readonly maxBytes = 128 * 1024 * 1024) {}

  /** The bytes the cache's arrays take now. */
  get bytes(): number {
    return this.allocated;
  }

  get({ level, index }: Subtree): Uint8Array | undefined {
    const slots = this.levels[level];
    if (slots === undefined || slots === 'dropped' || index >= slots.held.length || slots.held[index] === 0) return undefined;
    return slots.hashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  set({ level, index }: Subtree, hash: Uint8Array): void {
    let slots = this.levels[level];
    if (slots === 'dropped') return;
    if (slots === undefined || index >= slots.held.length) {
      const size = slotsFor(slots, index);
      if (!this.makeRoom(level, size * (HASH_BYTES + 1) - levelBytes(slots))) return;
      this.allocated -= levelBytes(slots);
      slots = this.levels[level] = grow(slots, size);
      this.allocated += levelBytes(slots);
    }
    slots.hashes.set(hash, index * HASH_BYTES);
    slots.held[index] = 1;
  }

  /** Drops the lowest levels until `more` bytes fit; false when `level` itself had to go. */
  private makeRoom(level: number, more: number): boolean {
    while (this.allocated + more > this.maxBytes) {
      const lowest = this.levels.findIndex((l) => l !== undefined && l !== 'dropped');
      const victim = lowest < 0 || lowest > level ? level : lowest;
      this.allocated -= levelBytes(this.levels[victim]);
      this.levels[victim] = 'dropped';
      if (victim === level) return false;
    }
    return true;
  }
}

/** How many slots a level needs to hold `index`: doubling from what it has. */
function slotsFor(slots: Level | undefined, index: number): number {
  let size = slots?.held.length ?? INITIAL_SLOTS;
  while (size <= index) size *= 2;
  return size;
}

function grow(slots: Level | undefined, size: number): Level {
  const grown = { hashes: new Uint8Array(size * HASH_BYTES), held: new Uint8Array(size) };
  if (slots !== undefined) {
    grown.hashes.set(slots.hashes);
    grown.held.set(slots.held);
  }
  return grown;
}
