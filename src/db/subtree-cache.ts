/**
 * Completed subtree hashes held densely in memory: per level, one growable byte array with 32
 * bytes per subtree and a flag per subtree saying whether it is held. The log is append-only and a
 * completed subtree never changes, so nothing is ever evicted; a log of n entries takes about
 * 66·n bytes (two subtrees per leaf), 9 MB for 140,000 entries. To bound memory, a level stops
 * being held once it would pass `maxPerLevel` subtrees — the lowest levels go first, and a proof
 * then reads only those few hashes from the database.
 */
import type { Subtree } from '../protocol/merkle.js';

const HASH_BYTES = 32;
const INITIAL_SLOTS = 1024;

interface Level {
  hashes: Uint8Array;
  held: Uint8Array;
}

export class SubtreeCache {
  private readonly levels: Array<Level | 'dropped' | undefined> = [];

  constructor(private readonly maxPerLevel = 2 ** 21) {}

  get({ level, index }: Subtree): Uint8Array | undefined {
    const slots = this.levels[level];
    if (slots === undefined || slots === 'dropped' || index >= slots.held.length || slots.held[index] === 0) return undefined;
    return slots.hashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  set({ level, index }: Subtree, hash: Uint8Array): void {
    let slots = this.levels[level];
    if (slots === 'dropped') return;
    if (index >= this.maxPerLevel) {
      this.levels[level] = 'dropped';
      return;
    }
    if (slots === undefined || index >= slots.held.length) slots = this.levels[level] = grow(slots, index);
    slots.hashes.set(hash, index * HASH_BYTES);
    slots.held[index] = 1;
  }
}

function grow(slots: Level | undefined, index: number): Level {
  let size = slots?.held.length ?? INITIAL_SLOTS;
  while (size <= index) size *= 2;
  const grown = { hashes: new Uint8Array(size * HASH_BYTES), held: new Uint8Array(size) };
  if (slots !== undefined) {
    grown.hashes.set(slots.hashes);
    grown.held.set(slots.held);
  }
  return grown;
}
