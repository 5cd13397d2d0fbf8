/**
 * A log in a test's hands (for witness tests): leaves, RFC 6962 roots and consistency proofs
 * computed here by the plain recursion, and checkpoint notes signed with its own key. `fork`
 * makes another history under the same key — what a witness must refuse to cosign.
 */
import { signCheckpoint, type NoteKey } from '../../src/protocol/checkpoint.js';
import { utf8 } from '../../src/protocol/encoding.js';
import { formatAddCheckpointRequest } from '../../src/protocol/cosignature.js';
import { consistencyProofRanges, EMPTY_ROOT, leafHash, nodeHash } from '../../src/protocol/merkle.js';
import { logKeyFromSeed, type LogKey } from '../../src/node/log-key.js';

function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

export class ToyLog {
  readonly key: LogKey;
  private readonly leaves: Uint8Array[] = [];

  constructor(origin: string, seedByte: number, private readonly tag = 'main') {
    this.key = logKeyFromSeed(origin, new Uint8Array(32).fill(seedByte));
  }

  get noteKey(): NoteKey {
    return this.key.noteKey;
  }

  get size(): number {
    return this.leaves.length;
  }

  append(count: number): this {
    for (let i = 0; i < count; i++) this.leaves.push(utf8(`${this.tag} leaf ${this.leaves.length}`));
    return this;
  }

  /** The same key and the first `size` leaves, then its own history. */
  fork(size: number, tag: string): ToyLog {
    const other = new ToyLog(this.key.origin, 0, tag);
    Object.assign(other, { key: this.key });
    other.leaves.push(...this.leaves.slice(0, size));
    return other;
  }

  root(size = this.size): Uint8Array {
    return mth(this.leaves.slice(0, size));
  }

  proof(from: number, to = this.size): Uint8Array[] {
    return consistencyProofRanges(from, to).map(([start, end]) => mth(this.leaves.slice(start, end)));
  }

  note(size = this.size, time?: number): Promise<string> {
    const extensions = time === undefined ? {} : { mapRoot: new Uint8Array(32).fill(7), time };
    return signCheckpoint({ origin: this.key.origin, size, root: this.root(size), ...extensions }, this.key.noteKey, this.key.sign);
  }

  /** An add-checkpoint body from `oldSize` to `size`. */
  async request(oldSize: number, size = this.size): Promise<string> {
    return formatAddCheckpointRequest({ oldSize, proof: this.proof(oldSize, size), note: await this.note(size) });
  }
}
