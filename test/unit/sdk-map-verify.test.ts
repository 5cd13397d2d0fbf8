// The SDK's key-map checks with hand-made answers (test/helpers/mini-log.ts): a head must be the
// map's value at its checkpoint, a 404 must prove the absence, a checkpoint must carry the map and
// time lines and be fresh, and a history must reach the map's head.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseCheckpointText, parseSignedNote } from '../../src/protocol/checkpoint.js';
import type { MapKey } from '../../src/protocol/key-map.js';
import { recordHash } from '../../src/protocol/signing.js';
import {
  checkCheckpointTime,
  checkHistoryHead,
  CheckpointError,
  DEFAULT_MAX_CHECKPOINT_AGE_MS,
  verifyAbsence,
  verifyHistory,
  verifyLookupBundle,
  verifyRegistryCheckpoint,
  verifyWriteResult,
  type VerifiedRegistryCheckpoint,
} from '../../src/sdk/index.js';
import { expectVerification } from '../helpers/errors.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { MiniLog } from '../helpers/mini-log.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';

let log: MiniLog;
let alice: TestIdentity;
let bob: TestIdentity;
/** Alice: genesis at 0, rotation at 2; Bob's genesis at 1; Alice's second rotation at 3. */
const user = (identity: TestIdentity): MapKey => ({ kind: 'user', id: identity.userId });

beforeAll(async () => {
  log = new MiniLog();
  alice = await newIdentity({ name: 'Alice' });
  bob = await newIdentity({ name: 'Bob' });
  log.append(alice.head);
  log.append(bob.head);
  for (let i = 0; i < 2; i++) {
    alice.records.push(await nextRecord(alice));
    log.append(alice.head);
  }
});

const verifyBundle = (bundle: unknown) => verifyLookupBundle(bundle, alice.userId, log.key, naclVerify);

describe('lookup bundles against the key map', () => {
  it('an honest bundle verifies, its checkpoint with the map root and the time', async () => {
    const identity = await verifyBundle(await log.bundle(alice.userId));
    expect(identity.head.index).toBe(3);
    expect(identity.checkpoint.mapRoot).toHaveLength(32);
    expect(identity.checkpoint.time).toBe(log.time);
  });

  it('an old head with the current checkpoint and the current map proof: STALE_ANSWER', async () => {
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { headIndex: 2 })), 'STALE_ANSWER');
  });

  it('an old head with the current checkpoint and its own old map proof: STALE_ANSWER', async () => {
    const old = log.mapProof(user(alice), 3); // the map after 3 entries, whose head for Alice is entry 2
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { headIndex: 2, mapProof: old })), 'STALE_ANSWER');
  });

  it('no map proof, a malformed one, or an absence proof: STALE_ANSWER', async () => {
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { mapProof: null })), 'STALE_ANSWER');
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { mapProof: 'not+base64url' })), 'STALE_ANSWER');
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { mapProof: 'AQ' })), 'STALE_ANSWER');
    const stranger = await newIdentity();
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { mapProof: log.mapProof(user(stranger)) })), 'STALE_ANSWER');
  });

  it('a map proof of another key: STALE_ANSWER', async () => {
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { mapProof: log.mapProof(user(bob)) })), 'STALE_ANSWER');
  });

  it('a checkpoint without the map and time lines: BAD_CHECKPOINT, reason MALFORMED', async () => {
    const error = await verifyBundle(await log.bundle(alice.userId, { checkpoint: await log.checkpoint(4, { lines: false }) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).code).toBe('BAD_CHECKPOINT');
    expect((error as CheckpointError).reason).toBe('MALFORMED');
  });

  it('a checkpoint whose map root is of an older map: STALE_ANSWER (the proof does not reach it)', async () => {
    await expectVerification(verifyBundle(await log.bundle(alice.userId, { checkpoint: await log.checkpoint(4, { mapSize: 3 }) })), 'STALE_ANSWER');
  });
});

describe('write results against the key map', () => {
  it('the written record as the head verifies; a later head of the same key (same checkpoint) too', async () => {
    await verifyWriteResult(await log.writeResult(3), alice.records[2]!, log.key, naclVerify);
    // The write of entry 2, answered with the checkpoint of 4 entries: the map's head is entry 3.
    await verifyWriteResult(await log.writeResult(2), alice.records[1]!, log.key, naclVerify);
  });

  it('a map proof of an older head, or of another key: STALE_ANSWER', async () => {
    const older = log.mapProof(user(alice), 2); // the map after 2 entries: Alice's genesis
    await expectVerification(verifyWriteResult(await log.writeResult(2, { size: 3, mapProof: log.mapProof(user(alice), 2) }), alice.records[1]!, log.key, naclVerify), 'STALE_ANSWER');
    await expectVerification(verifyWriteResult(await log.writeResult(3, { mapProof: older }), alice.records[2]!, log.key, naclVerify), 'STALE_ANSWER');
    await expectVerification(verifyWriteResult(await log.writeResult(3, { mapProof: log.mapProof(user(bob)) }), alice.records[2]!, log.key, naclVerify), 'STALE_ANSWER');
  });
});

describe('404 answers: the absence must be proven', () => {
  let carol: TestIdentity;
  beforeAll(async () => {
    carol = await newIdentity();
  });

  it('an absence proof against a verified checkpoint returns that checkpoint', async () => {
    const checkpoint = await verifyAbsence(await log.notFound(user(carol)), user(carol), log.key, naclVerify);
    expect(checkpoint.size).toBe(4);
  });

  it('no proof, no checkpoint, or not a problem at all: UNVERIFIED_ABSENCE', async () => {
    const body = await log.notFound(user(carol));
    await expectVerification(verifyAbsence({ ...body, mapProof: undefined }, user(carol), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
    await expectVerification(verifyAbsence({ ...body, checkpoint: undefined }, user(carol), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
    await expectVerification(verifyAbsence('Not Found', user(carol), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
    await expectVerification(verifyAbsence({ ...body, mapProof: 12 }, user(carol), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
  });

  it('a 404 for an existing identity with its own (present) proof: UNVERIFIED_ABSENCE', async () => {
    await expectVerification(verifyAbsence(await log.notFound(user(alice)), user(alice), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
  });

  it('an absence proof from another root (before the identity existed): UNVERIFIED_ABSENCE', async () => {
    const body = await log.notFound(user(bob));
    await expectVerification(verifyAbsence({ ...body, mapProof: log.mapProof(user(bob), 1) }, user(bob), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
  });

  it('an absence proof for another key: UNVERIFIED_ABSENCE', async () => {
    const body = await log.notFound(user(bob));
    await expectVerification(verifyAbsence({ ...body, mapProof: log.mapProof(user(carol)) }, user(bob), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
  });

  it('a checkpoint that does not verify, or has no map line: UNVERIFIED_ABSENCE', async () => {
    const body = await log.notFound(user(carol));
    const other = new MiniLog();
    await expectVerification(verifyAbsence({ ...body, checkpoint: await other.checkpoint(0) }, user(carol), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
    await expectVerification(verifyAbsence({ ...body, checkpoint: await log.checkpoint(4, { lines: false }) }, user(carol), log.key, naclVerify), 'UNVERIFIED_ABSENCE');
  });
});

describe('the checkpoint’s time', () => {
  let checkpoint: VerifiedRegistryCheckpoint;
  beforeAll(async () => {
    checkpoint = await verifyRegistryCheckpoint(await log.checkpoint(), log.key, naclVerify);
  });
  const at = (now: number) => () => checkCheckpointTime(checkpoint, log.key, { now, maxAgeMs: DEFAULT_MAX_CHECKPOINT_AGE_MS });

  it('up to the maximum age is fresh; older is STALE_CHECKPOINT', () => {
    expect(at(checkpoint.time + DEFAULT_MAX_CHECKPOINT_AGE_MS)).not.toThrow();
    expect(at(checkpoint.time - 5 * 60_000)).not.toThrow();
    expect(at(checkpoint.time + DEFAULT_MAX_CHECKPOINT_AGE_MS + 1)).toThrow(expect.objectContaining({ code: 'STALE_CHECKPOINT' }));
  });

  it('more than 5 minutes in the future: BAD_CHECKPOINT, reason FUTURE_TIME', () => {
    let error: unknown;
    try {
      at(checkpoint.time - 5 * 60_000 - 1)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).reason).toBe('FUTURE_TIME');
  });

  it('the parsed checkpoint has the time the note says', async () => {
    expect(parseCheckpointText(parseSignedNote(await log.checkpoint())!.text)!.time).toBe(log.time);
  });
});

describe('audit histories against the map’s head', () => {
  const head = () => ({ index: 3, hash: recordHash(alice.head) });

  it('a whole history reaches the head', async () => {
    const entries = await verifyHistory(log.history(alice.userId), alice.userId, naclVerify);
    expect(checkHistoryHead(entries, head(), 4).map((e) => e.index)).toEqual([0, 2, 3]);
  });

  it('entries after the checkpoint are left for later', async () => {
    const entries = await verifyHistory(log.history(alice.userId), alice.userId, naclVerify);
    expect(checkHistoryHead(entries, { index: 2, hash: recordHash(alice.records[1]!) }, 3).map((e) => e.index)).toEqual([0, 2]);
  });

  it('the head removed: INCOMPLETE_HISTORY', async () => {
    const history = log.history(alice.userId) as { entries: unknown[] };
    const entries = await verifyHistory({ ...history, entries: history.entries.slice(0, -1) }, alice.userId, naclVerify);
    expect(() => checkHistoryHead(entries, head(), 4)).toThrow(expect.objectContaining({ code: 'INCOMPLETE_HISTORY' }));
  });

  it('a record in the middle, or the genesis, removed: INCOMPLETE_HISTORY', async () => {
    const history = log.history(alice.userId) as { entries: unknown[] };
    await expectVerification(verifyHistory({ ...history, entries: [history.entries[0], history.entries[2]] }, alice.userId, naclVerify), 'INCOMPLETE_HISTORY');
    await expectVerification(verifyHistory({ ...history, entries: history.entries.slice(1) }, alice.userId, naclVerify), 'INCOMPLETE_HISTORY');
  });
});
