// A verifier's own key map (src/protocol/key-map-follow.ts) checked against checkpoints' map roots,
// and `peerkeys log verify`'s cursor, which rebuilds the map from the chains' heads it keeps
// instead of folding the log again: over test/vectors/key-map/log-fold.json (a recovery that
// lowers a head's seq, a revocation, a group), the rebuilt map has the vector's root at every size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freshCursor, loadCursor, saveCursor } from '../../src/cli/audit-cursor.js';
import { replayLog, type SourceEntry } from '../../src/ledger/index.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import type { Checkpoint } from '../../src/protocol/checkpoint.js';
import { toBase64, toHex } from '../../src/protocol/encoding.js';
import { FoldedKeyMap, mapRootMismatch } from '../../src/protocol/key-map-follow.js';
import { parseTimestamp } from '../../src/protocol/time.js';
import { fromHex, loadVector, type LogFoldFile } from '../vectors/key-map/cases.js';

const logFold = loadVector<LogFoldFile>('log-fold.json');
const entries = logFold.entries.map(({ index, acceptedAt, record }) => ({ index, acceptedAt, record }));
const rootAt = (size: number) => fromHex(logFold.entries[size - 1]!.root);
const checkpointOf = (size: number, mapRoot?: Uint8Array): Checkpoint => ({ origin: 'o', size, root: new Uint8Array(32), ...(mapRoot !== undefined ? { mapRoot, time: 1 } : {}) });

const dir = mkdtempSync(join(tmpdir(), 'peerkeys-map-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000);

describe('FoldedKeyMap', () => {
  it('matches the signed map root at every size, and names a different one as a mismatch with both roots', () => {
    const map = new FoldedKeyMap();
    for (const entry of entries) {
      map.fold(entry);
      expect(map.check(checkpointOf(map.size, rootAt(map.size)))).toEqual({ status: 'match', root: rootAt(map.size) });
    }
    const wrong = rootAt(3);
    const check = map.check(checkpointOf(entries.length, wrong));
    expect(check).toEqual({ status: 'mismatch', signed: wrong, recomputed: rootAt(entries.length) });
    const evidence = mapRootMismatch(check as Extract<typeof check, { status: 'mismatch' }>, entries.length, 'the note\n');
    expect(evidence).toMatchObject({ code: 'MAP_ROOT_MISMATCH', size: entries.length, mapRoot: toBase64(wrong), recomputed: toBase64(rootAt(entries.length)), note: 'the note\n' });
  });

  it('says a checkpoint without map lines has no map root to check', () => {
    const map = new FoldedKeyMap();
    map.fold(entries[0]!);
    expect(map.check(checkpointOf(1))).toEqual({ status: 'no-map-root' });
  });

  it('after an entry it cannot fold (no record), checks say which entry, never match or mismatch', () => {
    const map = new FoldedKeyMap();
    map.fold(entries[0]!);
    map.fold({ index: 1, acceptedAt: entries[1]!.acceptedAt, record: undefined });
    map.fold(entries[2]!);
    expect(map.check(checkpointOf(3, rootAt(3)))).toMatchObject({ status: 'not-folded', index: 1 });
    expect(map.root()).toBeNull();
  });

  it('folds only the next entry, and checks only a checkpoint of the size folded', () => {
    const map = new FoldedKeyMap();
    expect(() => map.fold(entries[1]!)).toThrow(RangeError);
    map.fold(entries[0]!);
    expect(() => map.check(checkpointOf(2, rootAt(2)))).toThrow(RangeError);
  });
});

describe('the log verify cursor’s key map', () => {
  it('is rebuilt from the chains’ heads with the fold’s root at every size, recovery and revocation included', async () => {
    const source = {
      async *pages(start: number, end: number): AsyncGenerator<SourceEntry[]> {
        yield entries.slice(start, end).map((e) => ({ ...e, acceptedAtMs: parseTimestamp(e.acceptedAt)! }));
      },
    };
    const path = join(dir, 'cursor.json');
    let cursor = freshCursor('vkey');
    for (let size = 1; size <= entries.length; size++) {
      const tree = await replayLog(source, {
        ledger: cursor.ledger,
        verify: nodeVerify,
        from: { size: cursor.size, frontier: cursor.frontier },
        to: size,
        onEntry: ({ entry }) => cursor.map.fold(entry),
      });
      cursor.size = tree.size;
      cursor.frontier = tree.frontier;
      cursor.latestAcceptedAt = parseTimestamp(entries[size - 1]!.acceptedAt)!;
      expect(toHex(cursor.map.root()!)).toBe(toHex(rootAt(size)));
      saveCursor(path, cursor);
      cursor = loadCursor(path)!;
      expect([size, toHex(cursor.map.root()!)]).toEqual([size, toHex(rootAt(size))]);
      expect(cursor.map.size).toBe(size);
    }
  });

  it('keeps the pending checkpoints’ map roots and notes', () => {
    const path = join(dir, 'pending.json');
    const cursor = freshCursor('vkey');
    cursor.pending = [
      { size: 9, root: new Uint8Array(32).fill(9), mapRoot: new Uint8Array(32).fill(8), note: 'signed\n' },
      { size: 10, root: new Uint8Array(32).fill(10) },
    ];
    saveCursor(path, cursor);
    expect(loadCursor(path)!.pending).toEqual(cursor.pending);
  });
});
