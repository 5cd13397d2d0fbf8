// `peerkeys log verify`'s cursor (src/cli/audit-cursor.ts): what it keeps of the identity chains,
// and that a saved cursor loads back as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freshCursor, loadCursor, pruneReplays, saveCursor } from '../../src/cli/audit-cursor.js';
import { identityKind } from '../../src/ledger/index.js';
import { IdentityReplay, RECOVERY_WINDOW_MS } from '../../src/protocol/identity-rules.js';
import { appendToFrontier } from '../../src/protocol/merkle.js';
import { recordHash } from '../../src/protocol/signing.js';
import { parseTimestamp } from '../../src/protocol/time.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { genesis, signingKey } from '../helpers/fixed-identities.js';

const HOUR = 60 * 60 * 1000;
const dir = mkdtempSync(join(tmpdir(), 'peerkeys-cursor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000);

/** A chain of three records, accepted at hours 0, 1 and 100 after its genesis's time. */
async function replayOfThree(): Promise<IdentityReplay> {
  const first = await genesis();
  const t0 = parseTimestamp(first.createdAt)!;
  const second = await createSuccessorRecord({ previous: first, signingKey: signingKey(2), signer: signingKey(1), createdAt: new Date(t0 + HOUR).toISOString() });
  const third = await createSuccessorRecord({ previous: second, signingKey: signingKey(3), signer: signingKey(1), createdAt: new Date(t0 + 100 * HOUR).toISOString() });
  const replay = new IdentityReplay();
  [first, second, third].forEach((record, index) => replay.apply({ record, hash: recordHash(record), acceptedAt: t0 + [0, 1, 100][index]! * HOUR, index }));
  return replay;
}

describe('the log verify cursor', () => {
  it('keeps a record only while a recovery may still fork from it, and always the head', async () => {
    const replay = await replayOfThree();
    const t0 = replay.live[0]!.acceptedAt;
    const cursor = freshCursor('vkey');
    cursor.ledger.of(identityKind).chains.set('u', replay.live);

    // The third record came 99 hours after the second: within the window (and a day of slack) of now.
    cursor.latestAcceptedAt = t0 + 150 * HOUR;
    pruneReplays(cursor);
    expect(replay.live.map((e) => e.index)).toEqual([1, 2]);

    // Long after: only the head can matter.
    cursor.latestAcceptedAt = t0 + 100 * HOUR + RECOVERY_WINDOW_MS + 25 * HOUR;
    pruneReplays(cursor);
    expect(replay.live.map((e) => e.index)).toEqual([2]);
  });

  it('saves and loads the frontier, the pending checkpoints and the chains', async () => {
    const path = join(dir, 'cursor.json');
    const cursor = freshCursor('test.example/peerkeys+00000000+AQ');
    cursor.frontier = appendToFrontier([], [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), new Uint8Array(32).fill(3)]).frontier;
    cursor.size = 3;
    cursor.pending = [{ size: 9, root: new Uint8Array(32).fill(9) }];
    const replay = await replayOfThree();
    cursor.latestAcceptedAt = replay.live[2]!.acceptedAt;
    cursor.ledger.of(identityKind).chains.set(replay.live[0]!.record.userId, replay.live);
    saveCursor(path, cursor);

    const loaded = loadCursor(path)!;
    expect(loaded.size).toBe(3);
    expect(loaded.frontier).toEqual(cursor.frontier);
    expect(loaded.pending).toEqual(cursor.pending);
    expect(loaded.ledger.of(identityKind).chains.get(replay.live[0]!.record.userId)).toEqual(replay.live);
    expect(loadCursor(join(dir, 'none.json'))).toBeNull();
  });
});
