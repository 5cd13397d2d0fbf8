// DESIGN.md §2 recovery over HTTP: rotation-key priority, the 72-hour window (inclusive, counted
// from the overruled record's acceptance), nullified records kept in the audit history
// (GET /v1/users/{userId}/log) but gone from the lookup bundle, and per-user write budgets that
// never stand between the owner and a recovery. The registry's clock is a testClock: acceptedAt is
// whatever it says, and every record is created at its "now" (createdAt must be within 5 minutes).
import { describe, expect, it } from '@jest/globals';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { RECOVERY_WINDOW_MS } from '../../src/protocol/identity-rules.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { auditLog } from '../../src/db/log-audit.js';
import { identityKind, Write } from '../../src/ledger/index.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { MapState } from '../../src/server/log/map-state.js';
import type { Reply } from '../helpers/http.js';
import { expectProblem, logSize, type Client } from '../helpers/hostile-http.js';
import { newIdentity, type TestIdentity } from '../helpers/identities.js';
import { testClock, useTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';

const HOUR = 60 * 60 * 1000;

interface HistoryEntry {
  index: number;
  acceptedAt: string;
  record: IdentityRecord;
  nullified: boolean;
}

/** A registry with its own movable clock, and the steps every scenario takes. */
function harness(clock: ReturnType<typeof testClock>, registry: TestRegistry) {
  const client = (): Client => registry.api;
  const now = () => formatTimestamp(clock.now());

  return {
    client,
    /** A new identity (rotation keys strongest first; the genesis is signed by the weakest), registered now. */
    async register(rotationKeys: number): Promise<TestIdentity> {
      clock.advance(1000);
      const identity = await newIdentity({ rotationKeys, createdAt: now() });
      const reply = await client().post('/v1/users', identity.head);
      expectWith(reply.status, reply.text).toBe(201);
      return identity;
    },
    /** A record following `previous` (the head for an update, an earlier record for a recovery), created one second on. */
    async successor(previous: IdentityRecord, signer: SigningKeyPair, options: { status?: 'revoked'; rotationKeys?: string[] } = {}): Promise<IdentityRecord> {
      clock.advance(1000);
      return createSuccessorRecord({ previous, signingKey: generateSigningKeyPair(), signer, createdAt: now(), ...options });
    },
    post: (record: IdentityRecord): Promise<Reply> => client().post(`/v1/users/${record.userId}`, record),
    async accept(record: IdentityRecord, context = 'accepted write'): Promise<Reply> {
      const reply = await client().post(`/v1/users/${record.userId}`, record);
      expectWith(reply.status, `${context}: ${reply.text}`).toBe(200);
      return reply;
    },
    async live(userId: string): Promise<IdentityRecord[]> {
      const reply = await client().get(`/v1/users/${userId}`);
      expectWith(reply.status, reply.text).toBe(200);
      return reply.body.entries.map((e: { record: IdentityRecord }) => e.record);
    },
    async history(userId: string): Promise<HistoryEntry[]> {
      const reply = await client().get(`/v1/users/${userId}/log`);
      expectWith(reply.status, reply.text).toBe(200);
      expect(reply.body.userId).toBe(userId);
      expect(reply.headers.get('cache-control')).toBe('public, max-age=5');
      return reply.body.entries;
    },
  };
}

/** [record, nullified] pairs, to compare a history with what a scenario expects. */
const marks = (entries: HistoryEntry[]) => entries.map((e) => [e.record, e.nullified]);

describe('recovery by a stronger rotation key (clock under test control)', () => {
  const clock = testClock();
  const registry = useTestRegistry({ clock });
  const h = harness(clock, registry);

  it('nullifies the one record after the fork point: the lookup shows the live chain, /log shows all', async () => {
    const alice = await h.register(2);
    const [strong, weak] = alice.rotation as [SigningKeyPair, SigningKeyPair];
    const genesis = alice.head;

    const stolen = await h.successor(genesis, weak); // the thief holds the weaker rotation key
    const stolenReply = await h.accept(stolen, 'the thief’s update');
    const recovery = await h.successor(genesis, strong);
    const recoveryReply = await h.accept(recovery, 'the owner’s recovery');

    expect(recovery.seq).toBe(genesis.seq + 1);
    expect(recovery.prev).toBe(recordHash(genesis));
    expect(await h.live(alice.userId)).toEqual([genesis, recovery]);
    const lookup = await h.client().get(`/v1/users/${alice.userId}`);
    expect(lookup.body.publicKey).toBe(recovery.publicKey);
    expect(lookup.body.proof.index).toBe(recoveryReply.body.index);

    const history = await h.history(alice.userId);
    expect(marks(history)).toEqual([
      [genesis, false],
      [stolen, true],
      [recovery, false],
    ]);
    expect(history.map((e) => e.index)).toEqual([stolenReply.body.index - 1, stolenReply.body.index, recoveryReply.body.index]);
    expect(history.map((e) => e.acceptedAt).slice(1)).toEqual([stolenReply.body.acceptedAt, recoveryReply.body.acceptedAt]);

    // The nullified record stays in the log itself, at its index.
    const entry = await h.client().get(`/v1/log/entries?start=${stolenReply.body.index}&limit=1`);
    expect(entry.body.entries[0].record).toEqual(stolen);
  });

  it('nullifies two records in another identity, and the recovery carries seq = fork point + 1', async () => {
    const bob = await h.register(3);
    const [, middle, weakest] = bob.rotation as [SigningKeyPair, SigningKeyPair, SigningKeyPair];
    const genesis = bob.head;
    const first = await h.successor(genesis, weakest);
    await h.accept(first);
    const second = await h.successor(first, weakest);
    await h.accept(second);

    const recovery = await h.successor(genesis, middle);
    await h.accept(recovery);
    expect(recovery.seq).toBe(1);
    expect(await h.live(bob.userId)).toEqual([genesis, recovery]);
    expect(marks(await h.history(bob.userId))).toEqual([
      [genesis, false],
      [first, true],
      [second, true],
      [recovery, false],
    ]);
  });

  it('a recovery from a later fork point keeps the records up to it', async () => {
    const cleo = await h.register(2);
    const [strong, weak] = cleo.rotation as [SigningKeyPair, SigningKeyPair];
    const rotation = await h.successor(cleo.head, weak); // the owner's own update
    await h.accept(rotation);
    const stolen = await h.successor(rotation, weak);
    await h.accept(stolen);
    const recovery = await h.successor(rotation, strong);
    await h.accept(recovery);
    expect(recovery.seq).toBe(rotation.seq + 1);
    expect(await h.live(cleo.userId)).toEqual([cleo.head, rotation, recovery]);
    expect((await h.history(cleo.userId)).map((e) => e.nullified)).toEqual([false, false, true, false]);
  });

  it('a fork by an equal or a weaker key is 409 PREV_MISMATCH (what a race’s loser gets); by a key outside the fork point’s rotation keys 422 UNAUTHORIZED_SIGNER', async () => {
    const carol = await h.register(3);
    const [strongest, middle, weakest] = carol.rotation as [SigningKeyPair, SigningKeyPair, SigningKeyPair];
    const genesis = carol.head;
    const update = await h.successor(genesis, middle);
    await h.accept(update);
    const before = { size: await logSize(h.client()), history: await h.history(carol.userId) };

    expectProblem(await h.post(await h.successor(genesis, middle)), 409, 'PREV_MISMATCH', 'a fork by the key that signed the overruled record');
    expectProblem(await h.post(await h.successor(genesis, weakest)), 409, 'PREV_MISMATCH', 'a fork by a weaker key');
    expectProblem(await h.post(await h.successor(genesis, generateSigningKeyPair())), 422, 'UNAUTHORIZED_SIGNER', 'a fork by an outsider');
    // The identity's own signing key is not a rotation key either.
    const bySigningKey = await createSuccessorRecord({ previous: genesis, signingKey: carol.signing, signer: carol.signing, createdAt: formatTimestamp(clock.now()) });
    expectProblem(await h.post(bySigningKey), 422, 'UNAUTHORIZED_SIGNER', 'a fork by the signing key');

    expect(await logSize(h.client())).toBe(before.size);
    expect(await h.history(carol.userId)).toEqual(before.history);

    // The strongest key may still fork there.
    const recovery = await h.successor(genesis, strongest);
    await h.accept(recovery);
    expect(await h.live(carol.userId)).toEqual([genesis, recovery]);
  });

  it('the window is 72 hours inclusive of the overruled record’s acceptance: at 72 h accepted, at 72 h + 1 ms 422 LATE_RECOVERY', async () => {
    const dave = await h.register(2);
    const erin = await h.register(2);
    // Both thefts are accepted at the same instant (the clock stands still between them).
    const daveStolen = await h.successor(dave.head, dave.rotation[1]!);
    const erinStolen = await h.successor(erin.head, erin.rotation[1]!);
    const acceptedAt = clock.now();
    expect((await h.accept(daveStolen)).body.acceptedAt).toBe(formatTimestamp(acceptedAt));
    expect((await h.accept(erinStolen)).body.acceptedAt).toBe(formatTimestamp(acceptedAt));
    expect(RECOVERY_WINDOW_MS).toBe(72 * HOUR);

    clock.set(acceptedAt + 72 * HOUR);
    const inTime = await createSuccessorRecord({ previous: dave.head, signingKey: generateSigningKeyPair(), signer: dave.rotation[0]!, createdAt: formatTimestamp(clock.now()) });
    const accepted = await h.accept(inTime, 'a recovery at exactly 72 h');
    expect(accepted.body.acceptedAt).toBe(formatTimestamp(acceptedAt + 72 * HOUR));

    clock.set(acceptedAt + 72 * HOUR + 1);
    const late = await createSuccessorRecord({ previous: erin.head, signingKey: generateSigningKeyPair(), signer: erin.rotation[0]!, createdAt: formatTimestamp(clock.now()) });
    expectProblem(await h.post(late), 422, 'LATE_RECOVERY', 'a recovery at 72 h + 1 ms');
    expect(await h.live(erin.userId)).toEqual([erin.head, erinStolen]);
    expect(await h.live(dave.userId)).toEqual([dave.head, inTime]);
  });

  it('undoes a thief’s revocation: the revocation is nullified and the identity is active again', async () => {
    const frank = await h.register(2);
    const [strong, weak] = frank.rotation as [SigningKeyPair, SigningKeyPair];
    const genesis = frank.head;
    const revocation = await h.successor(genesis, weak, { status: 'revoked' });
    await h.accept(revocation);
    expect((await h.client().get(`/v1/users/${frank.userId}`)).body.status).toBe('revoked');
    expectProblem(await h.post(await h.successor(revocation, strong)), 409, 'REVOKED', 'an update after the revocation');

    const recovery = await h.successor(genesis, strong);
    await h.accept(recovery);
    const lookup = await h.client().get(`/v1/users/${frank.userId}`);
    expect(lookup.body.status).toBe('active');
    expect(lookup.body.entries.map((e: { record: unknown }) => e.record)).toEqual([genesis, recovery]);
    expect(marks(await h.history(frank.userId))).toEqual([
      [genesis, false],
      [revocation, true],
      [recovery, false],
    ]);
  });

  it('a second recovery by an even stronger key, counted from the record it overrules', async () => {
    const gina = await h.register(3);
    const [strongest, middle, weakest] = gina.rotation as [SigningKeyPair, SigningKeyPair, SigningKeyPair];
    const genesis = gina.head;
    const stolen = await h.successor(genesis, weakest);
    await h.accept(stolen, 'the thief’s update with the weakest key');

    clock.advance(48 * HOUR);
    const firstRecovery = await h.successor(genesis, middle);
    await h.accept(firstRecovery, 'a recovery with the middle key');
    const afterwards = await h.successor(firstRecovery, middle);
    await h.accept(afterwards, 'an update on the recovered chain');
    // The thief cannot fork again: the weakest key is weaker than the one it would overrule now.
    expectProblem(await h.post(await h.successor(genesis, weakest)), 409, 'PREV_MISMATCH', 'the thief forks again');

    // 119 h after the theft, 71 h after the first recovery: inside the first recovery's window.
    clock.advance(71 * HOUR);
    const secondRecovery = await h.successor(genesis, strongest);
    await h.accept(secondRecovery, 'a recovery with the strongest key');
    expect(await h.live(gina.userId)).toEqual([genesis, secondRecovery]);
    expect(marks(await h.history(gina.userId))).toEqual([
      [genesis, false],
      [stolen, true],
      [firstRecovery, true],
      [afterwards, true],
      [secondRecovery, false],
    ]);
  });

  it('an update on top of a nullified record is 409 PREV_MISMATCH', async () => {
    const hana = await h.register(2);
    const [strong, weak] = hana.rotation as [SigningKeyPair, SigningKeyPair];
    const stolen = await h.successor(hana.head, weak);
    await h.accept(stolen);
    const recovery = await h.successor(hana.head, strong);
    await h.accept(recovery);

    expectProblem(await h.post(await h.successor(stolen, weak)), 409, 'PREV_MISMATCH', 'the thief continues the nullified branch');
    expectProblem(await h.post(await h.successor(stolen, strong)), 409, 'PREV_MISMATCH', 'even with the strongest key');
    expect(await h.live(hana.userId)).toEqual([hana.head, recovery]);
  });

  it('persists nullification when the overruled update, the recovery and an update on the recovery land in one batch', async () => {
    // A second writer on the same database, as another registry process would have: its first
    // append goes alone, the three queued behind it are decided and committed as one batch.
    const db = registry.database.db;
    const writer = new LogWriter(db, new SubtreeStore(db), await MapState.load(db), registry.service.logKey, clock);
    const append = (record: IdentityRecord, mode: 'genesis' | 'successor' = 'successor') =>
      writer.append(new Write(identityKind, record, mode));

    const ivan = await h.register(2);
    const [strong, weak] = ivan.rotation as [SigningKeyPair, SigningKeyPair];
    const genesis = ivan.head;
    const stored = await h.successor(genesis, weak);
    await h.accept(stored, 'a stored update the recovery will nullify');

    clock.advance(1000);
    const other = await newIdentity({ createdAt: formatTimestamp(clock.now()) });
    const sameBatchUpdate = await h.successor(stored, weak);
    const recovery = await h.successor(genesis, strong);
    const onRecovery = await h.successor(recovery, strong);
    const alone = append(other.head, 'genesis');
    const batch = [sameBatchUpdate, recovery, onRecovery].map((record) => append(record));
    await alone;
    const results = await Promise.all(batch);
    expect(results.map((r) => r.proof.size)).toEqual([results[0]!.index + 3, results[0]!.index + 3, results[0]!.index + 3]);
    await writer.drain();

    expect(await h.live(ivan.userId)).toEqual([genesis, recovery, onRecovery]);
    expect(marks(await h.history(ivan.userId))).toEqual([
      [genesis, false],
      [stored, true],
      [sameBatchUpdate, true],
      [recovery, false],
      [onRecovery, false],
    ]);
    // The stored head, not just the chain, moved to the recovered branch.
    await h.accept(await h.successor(onRecovery, weak), 'an update over HTTP after the batch');
  });

  it('GET /v1/users/{userId}/log: 404 NOT_FOUND for an unknown user, 400 MALFORMED for a malformed id', async () => {
    expectProblem(await h.client().get('/v1/users/0000000000zzzzzzzzzzzzzzz/log'), 404, 'NOT_FOUND');
    expectProblem(await h.client().get('/v1/users/NOT-AN-ID/log'), 400, 'MALFORMED');
  });

  it('verify-log replays every recovery above and finds nothing wrong', async () => {
    const report = await auditLog(registry.database.db, registry.service.logKey);
    expect(report.problems).toEqual([]);
    expect(report.entries).toBe(await logSize(h.client()));
  });
});

describe('per-userId write budgets never block a recovery (RATE_LIMIT_USER_WRITES=3/1h)', () => {
  // The genesis is a write for its userId too: it uses one of the three.
  const clock = testClock();
  const registry = useTestRegistry({ clock, env: { RATE_LIMITS: 'on', RATE_LIMIT_USER_WRITES: '3/1h' } });
  const h = harness(clock, registry);

  it('a thief’s accepted writes use the budget up; the owner’s recovery is still accepted', async () => {
    const jack = await h.register(2);
    const [strong, weak] = jack.rotation as [SigningKeyPair, SigningKeyPair];
    const genesis = jack.head;
    const stolen: IdentityRecord[] = [];
    for (;;) {
      const record = await h.successor(stolen.at(-1) ?? genesis, weak);
      const reply = await h.post(record);
      if (reply.status === 429) {
        expectProblem(reply, 429, 'RATE_LIMITED', 'the thief’s write over the budget');
        break;
      }
      expectWith(reply.status, reply.text).toBe(200);
      stolen.push(record);
      expect(stolen.length).toBeLessThanOrEqual(2);
    }
    expect(stolen).toHaveLength(2);

    // The recovery drops the stolen key from the rotation keys.
    const recovery = await h.successor(genesis, strong, { rotationKeys: [strong.publicKey, generateSigningKeyPair().publicKey] });
    await h.accept(recovery, 'the owner’s recovery after the budget is used up');
    expect(await h.live(jack.userId)).toEqual([genesis, recovery]);
    expect((await h.history(jack.userId)).map((e) => e.nullified)).toEqual([false, true, true, false]);

    // Forks the thief keeps sending are refused and spend nothing; ordinary updates still face the budget.
    expectProblem(await h.post(await h.successor(genesis, weak)), 409, 'PREV_MISMATCH', 'the thief forks from the genesis');
    expectProblem(await h.post(await h.successor(recovery, strong)), 429, 'RATE_LIMITED', 'an ordinary update while the budget is used up');
  });

  it('a thief’s refused writes use none of the owner’s budget', async () => {
    const kate = await h.register(2);
    const [strong, weak] = kate.rotation as [SigningKeyPair, SigningKeyPair];
    const genesis = kate.head;
    for (let i = 0; i < 4; i++) {
      const record = await h.successor(genesis, weak);
      const unsigned = { ...record, sig: (await h.successor(genesis, weak)).sig };
      expectProblem(await h.post(unsigned), 422, 'BAD_SIGNATURE', `spoiled write ${i}`);
      expectProblem(await h.post(await h.successor(genesis, generateSigningKeyPair())), 422, 'UNAUTHORIZED_SIGNER', `outsider’s write ${i}`);
      const tooEarly = await createSuccessorRecord({ previous: genesis, signingKey: generateSigningKeyPair(), signer: weak, createdAt: genesis.createdAt });
      expectProblem(await h.post(tooEarly), 422, 'TIME_ORDER', `backdated write ${i}`);
    }

    // Two accepted writes remain after the genesis, as if the thief had sent nothing.
    const first = await h.successor(genesis, strong);
    await h.accept(first, 'the owner’s first update');
    const second = await h.successor(first, strong);
    await h.accept(second, 'the owner’s second update');
    expectProblem(await h.post(await h.successor(second, strong)), 429, 'RATE_LIMITED', 'the fourth write');
  });

  it('a chain of updates sent all at once cannot pass as fork attempts: every accepted one counts', async () => {
    // Each record names the one before it as prev, which is not stored when its request arrives;
    // only a prev that names a stored live record other than the head escapes the budget.
    // Writes checked at the same moment may all pass the check (DESIGN.md §6), but every accepted
    // one counts: afterwards exactly what is left of the budget of three can still be written.
    const lena = await h.register(2);
    const weak = lena.rotation[1]!;
    const chain: IdentityRecord[] = [];
    for (let i = 0; i < 8; i++) chain.push(await h.successor(chain.at(-1) ?? lena.head, weak));
    const replies = await Promise.all(chain.map((record) => h.post(record)));
    const accepted = replies.filter((r) => r.status === 200).length;
    expectWith(accepted, replies.map((r) => r.status).join(' ')).toBeGreaterThanOrEqual(1);
    const live = await h.live(lena.userId);
    expect(live.length).toBe(1 + accepted);
    let head = live.at(-1)!;
    let more = 0;
    for (;;) {
      const record = await h.successor(head, weak);
      const reply = await h.post(record);
      if (reply.status === 429) break;
      expect(reply.status).toBe(200);
      head = record;
      more++;
    }
    expect(more).toBe(Math.max(0, 2 - accepted));
  });

  it('verify-log finds nothing wrong', async () => {
    expect((await auditLog(registry.database.db, registry.service.logKey)).problems).toEqual([]);
  });
});
