// Groups as key registries (DESIGN.md §4), end to end over HTTP against a real registry and
// database: the role rules, the signer rule across an admin's rotation, races, the SDK's
// verification and cross-check, and verify-log with groups in the log.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { GroupRecord } from '../../src/protocol/group.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { recordHash } from '../../src/protocol/signing.js';
import { RegistryClient, createSuccessorRecord, generateSigningKeyPair, withMember, withoutMember } from '../../src/sdk/index.js';
import { groupKind, Write, type EntryKind, type GroupState } from '../../src/ledger/index.js';
import { auditLog } from '../../src/db/log-audit.js';
import { LogWriter } from '../../src/server/log/log-writer.js';
import { SubtreeStore } from '../../src/db/subtree-store.js';
import { MapState } from '../../src/server/log/map-state.js';
import { systemClock } from '../../src/server/clock.js';
import { asMember, foundGroup, groupUpdate, registeredPerson, rotate, type Person } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { startTamperingProxy } from '../helpers/tampering-proxy.js';
import { startTestRegistry, useTestRegistry } from '../helpers/registry.js';
import { expectVerification } from '../helpers/errors.js';
import { expectWith } from '../helpers/expect-with.js';

// Listening for the SDK (which verifies what it is given) and the tampering proxy; HTTP checks go through the app.
const registry = useTestRegistry({ listen: true });
const http = api(() => registry.app);
const sdk = () => new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });

function countBy(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('a group from founding to a member’s rotation', () => {
  let founder: Person, owner: Person, alice: Person, walter: Person, mia: Person, rita: Person;
  let group: GroupRecord;
  /** The group's accepted records, genesis first. */
  const chain: GroupRecord[] = [];

  /** Submits an update of the head; on 200 it becomes the head. */
  async function submit(record: GroupRecord) {
    const reply = await http.post(`/v1/groups/${record.groupId}`, record);
    if (reply.status === 200) {
      chain.push(record);
      group = record;
    }
    return reply;
  }

  beforeAll(async () => {
    [founder, owner, alice, walter, mia, rita] = (await Promise.all(['Fay', 'Otto', 'Alice', 'Walter', 'Mia', 'Rita'].map((name) => registeredPerson(registry.app, name)))) as [
      Person,
      Person,
      Person,
      Person,
      Person,
      Person,
    ];
  }, 120_000);

  it('the founder creates the group (201, logged with a proof) and adds members', async () => {
    group = await foundGroup(founder, 'Peers book club', [asMember(owner, 'owner'), asMember(walter, 'writer'), asMember(alice, 'writer')]);
    const receipt = await sdk().registerGroup(group); // verifies the proof and checkpoint
    chain.push(group);
    expect(receipt.hash).toBe(recordHash(group));
    const again = await http.post('/v1/groups', group);
    expect([again.status, again.body.code]).toEqual([409, 'ALREADY_EXISTS']);

    expect((await submit(await groupUpdate(group, founder, withMember(group.members, asMember(rita, 'reader'))))).status).toBe(200);
  });

  it('the founder promotes a writer to admin, and the new admin adds a member', async () => {
    expect((await submit(await groupUpdate(group, founder, withMember(group.members, asMember(alice, 'admin'))))).status).toBe(200);
    const added = await submit(await groupUpdate(group, alice, withMember(group.members, asMember(mia, 'writer'))));
    expectWith(added.status, added.text).toBe(200);
    expect(added.body.proof.size).toBeGreaterThan(added.body.index);
  });

  it('refuses a writer adding a member with UNAUTHORIZED_SIGNER: only an admin of the head may sign', async () => {
    const outsider = await registeredPerson(registry.app, 'Xavier');
    const reply = await submit(await groupUpdate(group, walter, withMember(group.members, asMember(outsider, 'reader'))));
    expect([reply.status, reply.body.code]).toEqual([422, 'UNAUTHORIZED_SIGNER']);
  });

  it('refuses an admin demoting or removing the owner with FORBIDDEN_ROLE_CHANGE', async () => {
    const demote = await submit(await groupUpdate(group, alice, withMember(group.members, asMember(owner, 'admin'))));
    expect([demote.status, demote.body.code]).toEqual([422, 'FORBIDDEN_ROLE_CHANGE']);
    const remove = await submit(await groupUpdate(group, alice, withoutMember(group.members, owner.userId)));
    expect([remove.status, remove.body.code]).toEqual([422, 'FORBIDDEN_ROLE_CHANGE']);
    const promoteSelf = await submit(await groupUpdate(group, alice, withMember(group.members, asMember(alice, 'owner'))));
    expect([promoteSelf.status, promoteSelf.body.code]).toEqual([422, 'FORBIDDEN_ROLE_CHANGE']);
  });

  it('refuses a record signed with the admin’s old key after the admin rotated, accepts the new key', async () => {
    const oldKey = await rotate(registry.app, alice);
    const withOld = await submit(await groupUpdate(group, alice, group.members, oldKey));
    expect([withOld.status, withOld.body.code]).toEqual([422, 'UNAUTHORIZED_SIGNER']);
    // The head still pins Alice's old key; her authority comes from her role, her key from the registry.
    const withNew = await submit(await groupUpdate(group, alice, withMember(group.members, asMember(alice, 'admin'))));
    expectWith(withNew.status, withNew.text).toBe(200);
  });

  it('answers the usual problems: stale prev, wrong path, genesis to the update route, unknown and malformed ids', async () => {
    const stale = await groupUpdate(chain[chain.length - 2]!, founder, group.members);
    expect([(await submit(stale)).status, (await http.post(`/v1/groups/${group.groupId}`, stale)).body.code]).toEqual([409, 'PREV_MISMATCH']);
    const next = await groupUpdate(group, founder, group.members);
    expect((await http.post(`/v1/groups/${newPeersId()}`, next)).body.code).toBe('INVALID_RECORD');
    expect((await http.post(`/v1/groups/${group.groupId}`, chain[0])).body.code).toBe('SEQ_MISMATCH');
    expect((await http.post('/v1/groups', next)).body.code).toBe('SEQ_MISMATCH');
    const tampered = await http.post(`/v1/groups/${group.groupId}`, { ...next, name: 'Hijacked' });
    expect([tampered.status, tampered.body.code]).toEqual([422, 'BAD_SIGNATURE']);
    expect((await http.get(`/v1/groups/${newPeersId()}`)).status).toBe(404);
    expect((await http.get('/v1/groups/NOPE')).body.code).toBe('MALFORMED');
  });

  it('serves the bundle: the whole chain, the head’s proof and a checkpoint', async () => {
    const bundle = (await http.get(`/v1/groups/${group.groupId}`)).body;
    expect(Object.keys(bundle).sort()).toEqual(['checkpoint', 'entries', 'groupId', 'mapProof', 'members', 'name', 'proof']);
    expect(bundle.entries.map((e: { record: unknown }) => e.record)).toEqual(chain);
    expect(bundle.members).toEqual(group.members);
    expect(bundle.proof.index).toBe(bundle.entries[bundle.entries.length - 1].index);
  });

  it('lists the groups a user belongs to, with the head’s index; an unknown user has none', async () => {
    const bundle = (await http.get(`/v1/groups/${group.groupId}`)).body;
    const list = await http.get(`/v1/users/${mia.userId}/groups`);
    expect(list.body).toEqual({ userId: mia.userId, groups: [{ groupId: group.groupId, name: group.name, role: 'writer', headIndex: bundle.proof.index }] });
    expect((await http.get(`/v1/users/${newPeersId()}/groups`)).body.groups).toEqual([]);
    const other = await foundGroup(mia, 'Mia’s own');
    expect((await http.post('/v1/groups', other)).status).toBe(201);
    const both = await sdk().groupsOf(mia.userId);
    expect(both.map((g) => [g.group.groupId, g.member.role]).sort()).toEqual([[group.groupId, 'writer'], [other.groupId, 'founder']].sort());
  });

  it('a member’s keys obtained through the group verify end to end with the SDK', async () => {
    const client = sdk();
    const verified = await client.group(group.groupId);
    expect(verified.entries.map((e) => e.record)).toEqual(chain);
    expect(verified.head.hash).toBe(recordHash(group));
    const keys = await client.keysFromGroup(group.groupId, mia.userId);
    expect(keys).toMatchObject({ userId: mia.userId, publicKey: mia.signing.publicKey, publicBoxKey: mia.keys.box.publicKey, role: 'writer' });
    expect(await client.keysFromGroup(group.groupId, newPeersId())).toBeNull();
    expect(await client.crossCheckGroupMember(group.groupId, mia.userId)).toMatchObject({ status: 'match', ok: true, differences: [] });
  });

  it('after a member rotates, the cross-check reports the mismatch until an admin updates the group', async () => {
    const client = sdk();
    const oldKey = mia.signing;
    await rotate(registry.app, mia);
    // The group still vouches for the old key: that is what it pins, and it is reported, not fixed.
    expect((await client.keysFromGroup(group.groupId, mia.userId))!.publicKey).toBe(oldKey.publicKey);
    const stale = await client.crossCheckGroupMember(group.groupId, mia.userId);
    expect(stale).toMatchObject({ status: 'outdated', ok: false, differences: ['publicKey'] });
    expect(stale.pinned!.publicKey).toBe(oldKey.publicKey);
    expect(stale.registry!.publicKey).toBe(mia.signing.publicKey);

    expect((await submit(await groupUpdate(group, alice, withMember(group.members, asMember(mia, 'writer'))))).status).toBe(200);
    expect(await client.crossCheckGroupMember(group.groupId, mia.userId)).toMatchObject({ status: 'match', ok: true });
  });

  it('reports a pinned key the member never had as a mismatch, and a revoked or unregistered member', async () => {
    const stranger = { userId: newPeersId(), publicKey: founder.keys.recovery.publicKey, publicBoxKey: founder.keys.box.publicKey, role: 'reader' as const };
    const wrongKey = { ...asMember(rita, 'reader'), publicKey: founder.keys.rotation.publicKey };
    expect((await submit(await groupUpdate(group, founder, withMember(withMember(group.members, stranger), wrongKey)))).status).toBe(200);
    const client = sdk();
    const verified = await client.group(group.groupId);
    expect((await client.crossCheckGroupMember(group.groupId, rita.userId, { group: verified })).status).toBe('mismatch');
    expect((await client.crossCheckGroupMember(group.groupId, stranger.userId, { group: verified })).status).toBe('unregistered');
    const revocation = await createSuccessorRecord({ previous: walter.records.at(-1)!, signingKey: walter.signing, signer: walter.keys.rotation, status: 'revoked' });
    expect((await http.post(`/v1/users/${walter.userId}`, revocation)).status).toBe(200);
    expect(await client.crossCheckGroupMember(group.groupId, walter.userId, { group: verified })).toMatchObject({ status: 'revoked', ok: false, differences: [] });
    expect((await client.crossCheckGroupMember(group.groupId, newPeersId(), { group: verified })).status).toBe('not-member');
  });

  it('10 concurrent updates on one head: exactly one accepted, 9 answered 409 PREV_MISMATCH', async () => {
    const extras = await Promise.all(Array.from({ length: 10 }, (_, i) => registeredPerson(registry.app, `Racer ${i}`)));
    const candidates = await Promise.all(extras.map((p) => groupUpdate(group, alice, withMember(group.members, asMember(p, 'reader')))));
    const replies = await Promise.all(candidates.map((record) => http.post(`/v1/groups/${group.groupId}`, record)));
    expect(countBy(replies.map((r) => r.status))).toEqual({ 200: 1, 409: 9 });
    for (const reply of replies.filter((r) => r.status === 409)) expect(reply.body.code).toBe('PREV_MISMATCH');
    const winner = candidates[replies.findIndex((r) => r.status === 200)]!;
    chain.push(winner);
    group = winner;
    const bundle = (await http.get(`/v1/groups/${group.groupId}`)).body;
    expect(bundle.entries.map((e: { record: unknown }) => e.record)).toEqual(chain);
  });

  it('verify-log passes with groups in the log', async () => {
    const report = await auditLog(registry.database.db, registry.service.logKey);
    expect(report.problems).toEqual([]);
  });

  it('the SDK refuses a bundle whose entry indexes were moved, and one with a record left out', async () => {
    const proxy = await startTamperingProxy(registry.url);
    try {
      const client = new RegistryClient({ url: proxy.url, vkey: registry.service.logKey.vkey });
      const onBundle = (change: (bundle: any) => void) => {
        proxy.tamper = ({ path, body }) => {
          if (path === `/v1/groups/${group.groupId}` && typeof body === 'object') change(body);
          return body;
        };
      };
      // Claim an earlier position for a record that has a gap before it (as if before a rotation).
      onBundle((bundle) => {
        const i = bundle.entries.findIndex((e: { index: number }, k: number) => k > 0 && e.index - bundle.entries[k - 1].index > 1);
        bundle.entries[i].index -= 1;
      });
      await expectVerification(client.group(group.groupId), 'BAD_INCLUSION_PROOF');
      onBundle((bundle) => void bundle.entries.splice(2, 1));
      await expectVerification(client.group(group.groupId), 'CHAIN_GAP');
      onBundle((bundle) => void (bundle.members = bundle.members.slice(1)));
      await expectVerification(client.group(group.groupId), 'INVALID_RESPONSE');
    } finally {
      await proxy.close();
    }
  });

  it('a record the registry should have refused (the admin’s old key) fails the SDK and verify-log', async () => {
    const oldKey = await rotate(registry.app, alice);
    const bad = await groupUpdate(group, alice, group.members, oldKey);
    // A broken registry: a second writer on the same database whose group rules accept any record.
    const writer = new LogWriter(registry.database.db, new SubtreeStore(registry.database.db), await MapState.load(registry.database.db), registry.service.logKey, systemClock);
    const broken: EntryKind<GroupRecord, GroupState> = {
      ...groupKind,
      decide(state, write, at) {
        state.heads.set(write.record.groupId, { record: write.record, hash: write.hash, index: at.index, acceptedAt: at.acceptedAt });
        return { change: 'update', head: groupKind.head(state, write.record.groupId)! };
      },
    };
    const result = await writer.append(new Write(broken, bad));
    await expectVerification(sdk().group(group.groupId), 'BAD_GROUP_SIGNER');
    const report = await auditLog(registry.database.db, registry.service.logKey);
    // The record itself, and the stored head that the replay (which refused it) does not reach.
    expect(report.problems[0]).toMatchObject({ index: result.index, message: expect.stringMatching(/current publicKey/) });
    expect(report.problems.slice(1).map((p) => p.message)).toEqual([expect.stringMatching(/stored head of group .* is not the replayed head/)]);
  });
});

describe('an admin’s stolen key', () => {
  it('a record signed with a key a recovery later overruled stays valid, and is flagged', async () => {
    const owner = await registeredPerson(registry.app, 'Olga');
    const member = await registeredPerson(registry.app, 'Max');
    const group = await foundGroup(owner, 'Stolen', [asMember(member, 'reader')]);
    const created = await http.post('/v1/groups', group);
    expect(created.status).toBe(201);
    // A thief with Olga's rotation key rotates her signing key and promotes Max... as it likes.
    const genesis = owner.records[0]!;
    const thiefKey = generateSigningKeyPair();
    const takeover = await createSuccessorRecord({ previous: genesis, signingKey: thiefKey, signer: owner.keys.rotation });
    expect((await http.post(`/v1/users/${owner.userId}`, takeover)).status).toBe(200);
    const byThief = await groupUpdate(group, owner, withMember(group.members, asMember(member, 'admin')), thiefKey);
    const accepted = await http.post(`/v1/groups/${group.groupId}`, byThief);
    expect(accepted.status).toBe(200);
    // Olga recovers with her offline key: the takeover is nullified, the group record is not.
    const recovery = await createSuccessorRecord({ previous: genesis, signingKey: generateSigningKeyPair(), signer: owner.keys.recovery });
    expect((await http.post(`/v1/users/${owner.userId}`, recovery)).status).toBe(200);
    const verified = await sdk().group(group.groupId);
    expect(verified.head.index).toBe(accepted.body.index);
    expect(verified.overruledSigners).toEqual([{ index: accepted.body.index, adminId: owner.userId, signer: thiefKey.publicKey }]);
    // verify-log replays it the same way (earlier tests left a broken record behind; none since).
    const problems = (await auditLog(registry.database.db, registry.service.logKey)).problems;
    expect(problems.filter((p) => p.index === null || p.index >= created.body.index)).toEqual([]);
  });
});

describe('a group at the limits', () => {
  it('500 members round-trip (genesis, update, lookup, the user index); 501 are INVALID_RECORD', async () => {
    const founder = await registeredPerson(registry.app, 'Big');
    const someone = asMember(founder, 'reader');
    const others = Array.from({ length: 499 }, () => ({ ...someone, userId: newPeersId() }));
    const genesis = await foundGroup(founder, 'x'.repeat(128), others);
    const created = await http.post('/v1/groups', genesis);
    expectWith(created.status, created.text).toBe(201);
    const update = await groupUpdate(genesis, founder, [...genesis.members.slice(0, 250), ...others.slice(249).map((m) => ({ ...m, role: 'writer' as const }))]);
    expect((await http.post(`/v1/groups/${genesis.groupId}`, update)).status).toBe(200);
    const verified = await sdk().group(genesis.groupId);
    expect(verified.members).toHaveLength(500);
    expect((await http.get(`/v1/users/${others[498]!.userId}/groups`)).body.groups).toMatchObject([{ groupId: genesis.groupId, role: 'writer' }]);
    const tooMany = await foundGroup(founder, 'too many', [...others, { ...someone, userId: newPeersId() }]);
    expect((await http.post('/v1/groups', tooMany)).body.code).toBe('INVALID_RECORD');
  });
});

describe('the per-group write budget', () => {
  it('counts accepted writes per groupId only, and answers 429 RATE_LIMITED beyond it', async () => {
    const limited = await startTestRegistry({ listen: false, database: registry.database, logSeed: registry.logSeed, env: { RATE_LIMITS: 'on', RATE_LIMIT_GROUP_WRITES: '2/1m' } });
    try {
      const client = limited.api;
      const founder = await registeredPerson(limited.app, 'Bea');
      let group = await foundGroup(founder, 'Budget');
      expect((await client.post('/v1/groups', group)).status).toBe(201); // 1
      // Refused writes do not count: after two refusals the second accepted write still gets in.
      const byStranger = await groupUpdate(group, await registeredPerson(limited.app, 'Stranger'), group.members);
      for (let i = 0; i < 2; i++) expect((await client.post(`/v1/groups/${group.groupId}`, byStranger)).status).toBe(422);
      group = await groupUpdate(group, founder, group.members);
      expect((await client.post(`/v1/groups/${group.groupId}`, group)).status).toBe(200); // 2
      const third = await client.post(`/v1/groups/${group.groupId}`, await groupUpdate(group, founder, group.members));
      expect([third.status, third.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect(third.headers.get('ratelimit')).toMatch(/"group-writes-2-in-60s"/);
      // Another group has its own budget.
      expect((await client.post('/v1/groups', await foundGroup(founder, 'Another'))).status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
