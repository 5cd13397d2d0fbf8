import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  RECOVERY_WINDOW_MS,
  checkGenesis,
  checkLiveChain,
  checkSuccessor,
  type IdentityChainEntry,
} from '../../src/protocol/identity-rules.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { checkClockSkew } from '../../src/server/admission-policy.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp, parseTimestamp } from '../../src/protocol/time.js';
import type { SigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { T0, entry, genesis, signingKey } from '../helpers/fixed-identities.js';
import { codeOfSync } from '../helpers/errors.js';

const HOUR = 60 * 60 * 1000;
const t0 = parseTimestamp(T0)!;
/** The timestamp `ms` after T0. */
const at = (ms: number) => formatTimestamp(t0 + ms);

// Rotation keys of the genesis, strongest first; key 1 is the identity's signing key.
let strong: SigningKeyPair;
let mid: SigningKeyPair;
let weak: SigningKeyPair;
let outsider: SigningKeyPair;

let g: IdentityRecord; // rotation keys [strong, mid, weak], signed by weak, at T0
let a: IdentityRecord; // after g, signed by weak, at T0 + 1 s
let b: IdentityRecord; // after a, signed by weak, at T0 + 2 s

/** The record after `previous`, signed by `signer`, at `createdAt`, with any other options. */
function successor(previous: IdentityRecord, signer: SigningKeyPair, createdAt: string, options: { status?: 'active' | 'revoked'; rotationKeys?: string[] } = {}) {
  return createSuccessorRecord({ previous, signingKey: signingKey(1), signer, createdAt, ...options });
}

beforeAll(async () => {
  [strong, mid, weak, outsider] = [signingKey(2), signingKey(3), signingKey(4), signingKey(5)];
  g = await genesis({ rotationKeys: [strong.publicKey, mid.publicKey, weak.publicKey], signer: weak });
  a = await successor(g, weak, at(1000));
  b = await successor(a, weak, at(2000));
}, 120_000);

describe('checkClockSkew', () => {
  it('accepts a record time exactly 5 minutes from the clock, either way', () => {
    expect(codeOfSync(() => checkClockSkew(T0, t0))).toBe('ok');
    expect(codeOfSync(() => checkClockSkew(T0, t0 + 5 * 60_000))).toBe('ok');
    expect(codeOfSync(() => checkClockSkew(T0, t0 - 5 * 60_000))).toBe('ok');
  });

  it('rejects 5 minutes and 1 ms with CLOCK_SKEW, either way', () => {
    expect(codeOfSync(() => checkClockSkew(T0, t0 + 5 * 60_000 + 1))).toBe('CLOCK_SKEW'); // record in the past
    expect(codeOfSync(() => checkClockSkew(T0, t0 - 5 * 60_000 - 1))).toBe('CLOCK_SKEW'); // record in the future
    expect(codeOfSync(() => checkClockSkew(T0, t0 + 24 * HOUR))).toBe('CLOCK_SKEW');
  });
});

describe('checkGenesis', () => {
  it('accepts a genesis signed by one of its own rotation keys', () => {
    expect(codeOfSync(() => checkGenesis(g))).toBe('ok');
  });

  it('rejects a genesis signed by a key outside its rotation keys with UNAUTHORIZED_SIGNER', async () => {
    const selfSigned = await genesis({ rotationKeys: [strong.publicKey], signer: outsider });
    expect(codeOfSync(() => checkGenesis(selfSigned))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('rejects a record that is not a genesis with SEQ_MISMATCH', () => {
    expect(codeOfSync(() => checkGenesis(a))).toBe('SEQ_MISMATCH');
  });
});

describe('checkSuccessor: updates', () => {
  it('accepts the next record after the head', () => {
    expect(checkSuccessor([entry(g)], a, t0 + 1000)).toEqual({ kind: 'update', nullifies: [] });
    expect(checkSuccessor([entry(g), entry(a)], b, t0 + 2000)).toEqual({ kind: 'update', nullifies: [] });
  });

  it('accepts an update signed by any of the head’s rotation keys, the weakest too', async () => {
    for (const signer of [strong, mid, weak]) {
      const update = await successor(g, signer, at(1000));
      expect(checkSuccessor([entry(g)], update, t0 + 1000).kind).toBe('update');
    }
  });

  it('rejects anything but a recovery after a revoked head with REVOKED', async () => {
    const revoked = await successor(g, weak, at(1000), { status: 'revoked' });
    const after = await successor(revoked, weak, at(2000));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(revoked)], after, t0 + 2000))).toBe('REVOKED');
    const byStrongest = await successor(revoked, strong, at(2000));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(revoked)], byStrongest, t0 + 2000))).toBe('REVOKED');
  });

  it('rejects a signer outside the head’s rotation keys with UNAUTHORIZED_SIGNER', async () => {
    const byOutsider = await successor(g, outsider, at(1000));
    expect(codeOfSync(() => checkSuccessor([entry(g)], byOutsider, t0 + 1000))).toBe('UNAUTHORIZED_SIGNER');
    // The identity's own signing key is not a rotation key.
    const bySigningKey = await successor(g, signingKey(1), at(1000));
    expect(codeOfSync(() => checkSuccessor([entry(g)], bySigningKey, t0 + 1000))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('uses the head’s rotation keys, not those of earlier records', async () => {
    const narrowed = await successor(g, weak, at(1000), { rotationKeys: [strong.publicKey] });
    const byDropped = await successor(narrowed, weak, at(2000));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(narrowed)], byDropped, t0 + 2000))).toBe('UNAUTHORIZED_SIGNER');
    const byKept = await successor(narrowed, strong, at(2000));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(narrowed)], byKept, t0 + 2000))).toBe('ok');
  });

  it('rejects a wrong seq with SEQ_MISMATCH', () => {
    expect(codeOfSync(() => checkSuccessor([entry(g)], { ...a, seq: 2 }, t0 + 1000))).toBe('SEQ_MISMATCH');
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(a)], { ...b, seq: 1 }, t0 + 2000))).toBe('SEQ_MISMATCH');
    expect(codeOfSync(() => checkSuccessor([entry(g)], g, t0 + 1000))).toBe('SEQ_MISMATCH'); // a second genesis
  });

  it('rejects a createdAt that is not later than the head’s with TIME_ORDER, equal included', async () => {
    const same = await successor(g, weak, T0);
    expect(codeOfSync(() => checkSuccessor([entry(g)], same, t0))).toBe('TIME_ORDER');
    const earlier = await successor(g, weak, at(-1));
    expect(codeOfSync(() => checkSuccessor([entry(g)], earlier, t0))).toBe('TIME_ORDER');
    const later = await successor(g, weak, at(1));
    expect(codeOfSync(() => checkSuccessor([entry(g)], later, t0 + 1))).toBe('ok');
  });

  it('rejects a prev that names no live record with PREV_MISMATCH', async () => {
    const other = await genesis({ rotationKeys: [weak.publicKey], signer: weak, name: 'other' });
    const elsewhere = await successor(other, weak, at(1000));
    expect(codeOfSync(() => checkSuccessor([entry(g)], elsewhere, t0 + 1000))).toBe('PREV_MISMATCH');
  });

  it('rejects a prev naming a record this chain has nullified with PREV_MISMATCH', async () => {
    const recovery = await successor(g, strong, at(1500));
    const afterNullified = await successor(a, strong, at(2500)); // a is no longer live
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(recovery)], afterNullified, t0 + 3000))).toBe('PREV_MISMATCH');
  });

  it('rejects a record for another userId with INVALID_RECORD', () => {
    expect(codeOfSync(() => checkSuccessor([entry(g)], { ...a, userId: '0000000000bbbbbbbbbbbbbbb' }, t0 + 1000))).toBe('INVALID_RECORD');
  });
});

describe('checkSuccessor: recovery', () => {
  it('lets a stronger key fork from an earlier record, nullifying what followed', async () => {
    const chain = [entry(g), entry(a)];
    const recovery = await successor(g, strong, at(1500));
    expect(checkSuccessor(chain, recovery, t0 + 1500)).toEqual({ kind: 'recovery', nullifies: [chain[1]] });
  });

  it('nullifies every record after the fork point, oldest first', async () => {
    const chain = [entry(g), entry(a), entry(b)];
    const fromGenesis = await successor(g, mid, at(3000));
    const outcome = checkSuccessor(chain, fromGenesis, t0 + 3000);
    expect(outcome.kind).toBe('recovery');
    expect(outcome.nullifies).toEqual([chain[1], chain[2]]);
    expect(outcome.nullifies[0]).toBe(chain[1]); // the chain's own entries, not copies

    const fromA = await successor(a, strong, at(3000));
    expect(checkSuccessor(chain, fromA, t0 + 3000)).toEqual({ kind: 'recovery', nullifies: [chain[2]] });
  });

  it('can recover from a revocation', async () => {
    const revoked = await successor(g, weak, at(1000), { status: 'revoked' });
    const chain = [entry(g), entry(revoked)];
    const recovery = await successor(g, strong, at(2000));
    expect(checkSuccessor(chain, recovery, t0 + 2000)).toEqual({ kind: 'recovery', nullifies: [chain[1]] });
  });

  it('accepts a recovery exactly 72 hours after the overruled record was accepted', async () => {
    expect(RECOVERY_WINDOW_MS).toBe(72 * HOUR);
    const chain = [entry(g, t0 + 10), entry(a, t0 + 1000)];
    const recovery = await successor(g, strong, at(1500));
    expect(checkSuccessor(chain, recovery, t0 + 1000 + 72 * HOUR).kind).toBe('recovery');
  });

  it('rejects a recovery 72 hours and 1 ms after with LATE_RECOVERY', async () => {
    const chain = [entry(g, t0 + 10), entry(a, t0 + 1000)];
    const recovery = await successor(g, strong, at(1500));
    expect(codeOfSync(() => checkSuccessor(chain, recovery, t0 + 1000 + 72 * HOUR + 1))).toBe('LATE_RECOVERY');
  });

  it('counts the window from the overruled record, not from later ones or the fork point', async () => {
    const recovery = await successor(g, strong, at(1500));
    // b accepted recently does not reopen the window for overruling a.
    const late = [entry(g, t0), entry(a, t0 + 1000), entry(b, t0 + 100 * HOUR)];
    expect(codeOfSync(() => checkSuccessor(late, recovery, t0 + 1000 + 72 * HOUR + 1))).toBe('LATE_RECOVERY');
    // A genesis accepted long ago does not close it.
    const oldGenesis = [entry(g, t0 - 1000 * HOUR), entry(a, t0 + 1000)];
    expect(checkSuccessor(oldGenesis, recovery, t0 + 1000 + 72 * HOUR).kind).toBe('recovery');
  });

  it('rejects a signer equal to the one it would overrule with PREV_MISMATCH', async () => {
    const sameKey = await successor(g, weak, at(1500));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(a)], sameKey, t0 + 1500))).toBe('PREV_MISMATCH');
  });

  it('rejects a signer weaker than the one it would overrule with PREV_MISMATCH', async () => {
    const byMid = await successor(g, mid, at(1000));
    const byWeak = await successor(g, weak, at(1500));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(byMid)], byWeak, t0 + 1500))).toBe('PREV_MISMATCH');
    const byStrong = await successor(g, strong, at(1500));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(byStrong)], byMid, t0 + 1500))).toBe('PREV_MISMATCH');
  });

  it('answers PREV_MISMATCH, not LATE_RECOVERY, for a weaker signer past the window', async () => {
    const sameKey = await successor(g, weak, at(1500));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(a)], sameKey, t0 + 1000 * HOUR))).toBe('PREV_MISMATCH');
  });

  it('rejects a signer outside the fork point’s rotation keys with UNAUTHORIZED_SIGNER', async () => {
    const byOutsider = await successor(g, outsider, at(1500));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(a)], byOutsider, t0 + 1500))).toBe('UNAUTHORIZED_SIGNER');
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(a)], byOutsider, t0 + 1000 * HOUR))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('uses the fork point’s rotation keys, even if a later record trusts the signer', async () => {
    // a2 makes the outsider a rotation key; b2 is signed by it. The outsider still cannot fork from g.
    const a2 = await successor(g, weak, at(1000), { rotationKeys: [outsider.publicKey] });
    const b2 = await successor(a2, outsider, at(2000));
    const fromGenesis = await successor(g, outsider, at(2500));
    expect(codeOfSync(() => checkSuccessor([entry(g), entry(a2), entry(b2)], fromGenesis, t0 + 2500))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('applies the link rules to the fork point: seq, and a time later than the fork point’s', async () => {
    const chain = [entry(g), entry(a)];
    const recovery = await successor(g, strong, at(1500));
    expect(codeOfSync(() => checkSuccessor(chain, { ...recovery, seq: 2 }, t0 + 1500))).toBe('SEQ_MISMATCH');
    const sameTimeAsFork = await successor(g, strong, T0);
    expect(codeOfSync(() => checkSuccessor(chain, sameTimeAsFork, t0 + 1500))).toBe('TIME_ORDER');
    // Earlier than the overruled record is fine: only the fork point's time matters.
    const beforeOverruled = await successor(g, strong, at(500));
    expect(checkSuccessor(chain, beforeOverruled, t0 + 1500).kind).toBe('recovery');
  });
});

describe('checkLiveChain', () => {
  it('accepts a good chain, and a genesis alone', () => {
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(a), entry(b)]))).toBe('ok');
    expect(codeOfSync(() => checkLiveChain([entry(g)]))).toBe('ok');
  });

  it('accepts the live chain after a recovery, and a revoked head', async () => {
    const recovery = await successor(g, strong, at(1500));
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(recovery)]))).toBe('ok');
    const revoked = await successor(a, weak, at(2000), { status: 'revoked' });
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(a), entry(revoked)]))).toBe('ok');
  });

  it('rejects an empty chain with INVALID_RECORD', () => {
    expect(codeOfSync(() => checkLiveChain([]))).toBe('INVALID_RECORD');
  });

  it('rejects a broken prev link with PREV_MISMATCH', async () => {
    const alsoAfterGenesis = await successor(g, weak, at(1500)); // names g, not a
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(a), entry({ ...alsoAfterGenesis, seq: 2 })]))).toBe('PREV_MISMATCH');
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(b)]))).toBe('PREV_MISMATCH'); // a missing
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(b), entry(a)]))).toBe('PREV_MISMATCH'); // out of order
  });

  it('rejects an entry whose hash is not the hash its successor names', () => {
    const tampered: IdentityChainEntry = { ...entry(a), hash: recordHash(b) };
    expect(codeOfSync(() => checkLiveChain([entry(g), tampered, entry(b)]))).toBe('PREV_MISMATCH');
  });

  it('rejects a revoked record in the middle with REVOKED', async () => {
    const revoked = await successor(g, weak, at(1000), { status: 'revoked' });
    const after = await successor(revoked, weak, at(2000));
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(revoked), entry(after)]))).toBe('REVOKED');
  });

  it('rejects a wrong genesis', async () => {
    expect(codeOfSync(() => checkLiveChain([entry(a), entry(b)]))).toBe('SEQ_MISMATCH'); // starts mid-chain
    const selfSigned = await genesis({ rotationKeys: [strong.publicKey], signer: outsider });
    expect(codeOfSync(() => checkLiveChain([entry(selfSigned)]))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('rejects a link that breaks the rules: signer, seq, time, userId', async () => {
    const byOutsider = await successor(g, outsider, at(1000));
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(byOutsider)]))).toBe('UNAUTHORIZED_SIGNER');
    expect(codeOfSync(() => checkLiveChain([entry(g), entry({ ...a, seq: 2 })]))).toBe('SEQ_MISMATCH');
    const sameTime = await successor(g, weak, T0);
    expect(codeOfSync(() => checkLiveChain([entry(g), entry(sameTime)]))).toBe('TIME_ORDER');
    expect(codeOfSync(() => checkLiveChain([entry(g), entry({ ...a, userId: '0000000000bbbbbbbbbbbbbbb' })]))).toBe('INVALID_RECORD');
  });
});
