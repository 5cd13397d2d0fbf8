/**
 * A registry's log and key map in memory, for unit tests of the SDK's checks with hand-made
 * answers: append records, sign a checkpoint of any size (with the map root after that many
 * entries), and build lookup bundles, write results and 404 bodies the way the API shapes them.
 * Nothing here is the server's code: the log is RFC 9162 over protocol/merkle.ts, the map the fold
 * of protocol/key-map-fold.ts, so a test's forgery is the test's own.
 */
import nacl from 'tweetnacl';
import { formatVerifierKey, noteKey, signCheckpoint, type NoteKey } from '../../src/protocol/checkpoint.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import type { GroupRecord } from '../../src/protocol/group.js';
import { keyMapOf } from '../../src/protocol/key-map-fold.js';
import type { MapKey } from '../../src/protocol/key-map.js';
import { logLeafHash, type LogEntry } from '../../src/protocol/log-entry.js';
import { consistencyProofRanges, inclusionProofRanges, nodeHash, rangeHash, type Subtree } from '../../src/protocol/merkle.js';
import { recordHash } from '../../src/protocol/signing.js';

export const ORIGIN = 'test.example/peerkeys';

export class MiniLog {
  readonly entries: LogEntry<IdentityRecord | GroupRecord>[] = [];
  private readonly leaves: Uint8Array[] = [];
  private readonly keyPair = nacl.sign.keyPair();
  readonly key: NoteKey = noteKey(ORIGIN, this.keyPair.publicKey);
  readonly vkey = formatVerifierKey(this.key);
  /** The time the next checkpoint is signed at (Unix ms). */
  time = Date.now();
  private clock = Date.parse('2026-01-01T00:00:00.000Z');

  /** Appends a record, accepted a second after the last one; returns its index. */
  append(record: IdentityRecord | GroupRecord): number {
    this.clock += 1000;
    const acceptedAt = new Date(this.clock).toISOString();
    const index = this.entries.length;
    this.entries.push({ index, acceptedAt, record });
    this.leaves.push(logLeafHash(acceptedAt, record));
    return index;
  }

  private subtree = ({ level, index }: Subtree): Uint8Array => {
    if (level === 0) return this.leaves[index]!;
    return nodeHash(this.subtree({ level: level - 1, index: index * 2 }), this.subtree({ level: level - 1, index: index * 2 + 1 }));
  };

  root(size: number): Uint8Array {
    return rangeHash([0, size], this.subtree);
  }

  inclusion(index: number, size: number): { index: number; size: number; hashes: string[] } {
    return { index, size, hashes: inclusionProofRanges(index, size).map((range) => toBase64Url(rangeHash(range, this.subtree))) };
  }

  consistency(from: number, to: number): { from: number; to: number; hashes: string[] } {
    return { from, to, hashes: consistencyProofRanges(from, to).map((range) => toBase64Url(rangeHash(range, this.subtree))) };
  }

  /**
   * A fetch that serves this log as the registry's API would (the lookup, history and proof
   * endpoints), every answer as of the whole log; `tamper` may change a path's answer.
   */
  fetch(tamper: (path: string, answer: { status: number; body: unknown }) => { status: number; body: unknown } = (_, a) => a): typeof fetch {
    return async (input) => {
      const url = new URL(String(input));
      const path = url.pathname;
      const query = (name: string) => Number(url.searchParams.get(name));
      let answer: { status: number; body: unknown };
      const user = /^\/v1\/users\/([0-9a-z]+)(\/log)?$/.exec(path);
      if (path === '/v1/log/checkpoint') answer = { status: 200, body: await this.checkpoint() };
      else if (path === '/v1/log/proof/inclusion') answer = { status: 200, body: this.inclusion(query('index'), query('size')) };
      else if (path === '/v1/log/proof/consistency') answer = { status: 200, body: this.consistency(query('from'), query('to')) };
      else if (user !== null) {
        const known = this.entries.some((e) => e.record.type === 'identity' && e.record.userId === user[1]);
        if (!known) answer = { status: 404, body: await this.notFound({ kind: 'user', id: user[1]! }) };
        else answer = { status: 200, body: user[2] === undefined ? await this.bundle(user[1]!) : this.history(user[1]!) };
      } else answer = { status: 404, body: { status: 404, code: 'NOT_FOUND' } };
      const { status, body } = tamper(path, answer);
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' } });
    };
  }

  /** The map proof (base64url) of `key` in the map after the first `size` entries. */
  mapProof(key: MapKey, size = this.entries.length): string {
    return toBase64Url(keyMapOf(this.entries.slice(0, size)).proveBytes(key));
  }

  /** A signed checkpoint of the first `size` entries; `lines: false` leaves out the map and time lines. */
  checkpoint(size = this.entries.length, options: { time?: number; lines?: boolean; mapSize?: number } = {}): Promise<string> {
    const base = { origin: ORIGIN, size, root: this.root(size) };
    const checkpoint = options.lines === false ? base : { ...base, mapRoot: keyMapOf(this.entries.slice(0, options.mapSize ?? size)).root(), time: options.time ?? this.time };
    return signCheckpoint(checkpoint, this.key, (m) => nacl.sign.detached(m, this.keyPair.secretKey));
  }

  /** The lookup bundle of `userId` whose head is entry `headIndex`, as of the first `size` entries. */
  async bundle(userId: string, options: { size?: number; headIndex?: number; mapProof?: string | null; checkpoint?: string } = {}): Promise<Record<string, unknown>> {
    const size = options.size ?? this.entries.length;
    const mine = this.entries.slice(0, size).filter((e) => (e.record as IdentityRecord).userId === userId && e.record.type === 'identity');
    const headIndex = options.headIndex ?? mine[mine.length - 1]!.index;
    // No recovery in these tests: every record up to the head is live.
    const chain = mine.filter((e) => e.index <= headIndex) as LogEntry<IdentityRecord>[];
    const head = chain[chain.length - 1]!.record;
    return {
      userId,
      status: head.status,
      publicKey: head.publicKey,
      publicBoxKey: head.publicBoxKey,
      rotationKeys: head.rotationKeys,
      entries: chain,
      proof: this.inclusion(headIndex, size),
      checkpoint: options.checkpoint ?? (await this.checkpoint(size)),
      ...(options.mapProof === null ? {} : { mapProof: options.mapProof ?? this.mapProof({ kind: 'user', id: userId }, size) }),
    };
  }

  /** The write result of entry `index`, as of the first `size` entries. */
  async writeResult(index: number, options: { size?: number; mapProof?: string } = {}): Promise<Record<string, unknown>> {
    const size = options.size ?? this.entries.length;
    const entry = this.entries[index]!;
    const key: MapKey = entry.record.type === 'group' ? { kind: 'group', id: entry.record.groupId } : { kind: 'user', id: entry.record.userId };
    return {
      index,
      acceptedAt: entry.acceptedAt,
      hash: recordHash(entry.record),
      proof: this.inclusion(index, size),
      checkpoint: await this.checkpoint(size),
      mapProof: options.mapProof ?? this.mapProof(key, size),
    };
  }

  /** The audit history of `userId` (no recovery among its records: every record live). */
  history(userId: string): Record<string, unknown> {
    return { userId, entries: this.entries.filter((e) => e.record.type === 'identity' && e.record.userId === userId).map((e) => ({ ...e, nullified: false })) };
  }

  /** A 404 problem body with the absence proof of `key`. */
  async notFound(key: MapKey, size = this.entries.length): Promise<Record<string, unknown>> {
    return { type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND', checkpoint: await this.checkpoint(size), mapProof: this.mapProof(key, size) };
  }
}
