// The group chain and role rules (DESIGN.md §4), pure: no database, no clock.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ErrorCode } from '../../src/protocol/errors.js';
import type { GroupMember, GroupRecord, GroupRole } from '../../src/protocol/group.js';
import { GroupReplay, checkGroupGenesis, checkGroupSuccessor, checkRoleChanges, identityAt, type AdminIdentity } from '../../src/protocol/group-rules.js';
import type { IdentityLogEntry } from '../../src/protocol/identity-rules.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp, parseTimestamp } from '../../src/protocol/time.js';
import { createGroupGenesis, createGroupUpdate, withMember, withoutMember } from '../../src/sdk/group-records.js';
import type { SigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { T0, boxKey, genesis, signingKey } from '../helpers/fixed-identities.js';
import { codeOfSync } from '../helpers/errors.js';
import { expectWith } from '../helpers/expect-with.js';

const t0 = parseTimestamp(T0)!;
const at = (ms: number) => formatTimestamp(t0 + ms);

/** Test users by name; each signs with the fixed key of its number. */
const USERS = { founder: 1, owner: 2, admin: 3, admin2: 4, writer: 5, reader: 6, outsider: 7 } as const;
type Name = keyof typeof USERS;
const uid = (name: Name) => `0000000000${name.padEnd(15, 'x')}`;
const key = (name: Name): SigningKeyPair => signingKey(USERS[name]);
const member = (name: Name, role: GroupRole, publicKey = key(name).publicKey): GroupMember => ({ userId: uid(name), publicKey, publicBoxKey: boxKey(USERS[name]).publicKey, role });
/** Every user registered with its fixed key, active. */
const registry = (name: Name): AdminIdentity => ({ publicKey: key(name).publicKey, status: 'active' });
const signer = (name: Name, signingKey = key(name)) => ({ userId: uid(name), signingKey });

const GROUP_ID = '0000000000groupxxxxxxxxxx';
let g: GroupRecord; // founder, owner, admin, admin2, writer, reader
const head = () => ({ record: g, hash: recordHash(g) });

/** An update of the genesis with `members`, signed by `by`. */
function update(by: Name, members: GroupMember[], options: { signingKey?: SigningKeyPair; createdAt?: string; previous?: GroupRecord } = {}) {
  return createGroupUpdate({ previous: options.previous ?? g, members, signer: signer(by, options.signingKey), createdAt: options.createdAt ?? at(1000) });
}

/** The code checkGroupSuccessor answers for `by` changing the genesis's members to `members`. */
async function change(by: Name, members: GroupMember[]): Promise<ErrorCode | 'ok'> {
  const record = await update(by, members);
  return codeOfSync(() => checkGroupSuccessor(head(), record, registry(by)));
}

beforeAll(async () => {
  g = await createGroupGenesis({
    groupId: GROUP_ID,
    name: 'Peers',
    members: [member('founder', 'founder'), member('owner', 'owner'), member('admin', 'admin'), member('admin2', 'admin'), member('writer', 'writer'), member('reader', 'reader')],
    signer: signer('founder'),
    createdAt: T0,
  });
}, 120_000);

describe('checkGroupGenesis', () => {
  it('accepts a genesis whose signer is listed with an admin-or-above role and its registry key', () => {
    expect(codeOfSync(() => checkGroupGenesis(g, registry('founder')))).toBe('ok');
  });

  it('refuses a signer that is not listed, or listed below admin, with UNAUTHORIZED_SIGNER', async () => {
    const unlisted = { ...g, members: g.members.slice(1) };
    expect(codeOfSync(() => checkGroupGenesis(unlisted, registry('founder')))).toBe('UNAUTHORIZED_SIGNER');
    const byWriter = await createGroupGenesis({ groupId: GROUP_ID, name: 'x', members: [member('writer', 'writer')], signer: signer('writer'), createdAt: T0 });
    expect(codeOfSync(() => checkGroupGenesis(byWriter, registry('writer')))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('refuses a signer that is not the key the genesis pins for the admin', () => {
    const pinnedElse = { ...g, members: [member('founder', 'founder', key('outsider').publicKey), ...g.members.slice(1)] };
    expect(codeOfSync(() => checkGroupGenesis(pinnedElse, registry('founder')))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('refuses a signer that is not the admin’s current registry key, a revoked admin and an unregistered one', () => {
    expect(codeOfSync(() => checkGroupGenesis(g, { publicKey: key('outsider').publicKey, status: 'active' }))).toBe('UNAUTHORIZED_SIGNER');
    expect(codeOfSync(() => checkGroupGenesis(g, { ...registry('founder'), status: 'revoked' }))).toBe('UNAUTHORIZED_SIGNER');
    expect(codeOfSync(() => checkGroupGenesis(g, null))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('counts every member as added by the signer: an admin founding a group cannot list an owner', async () => {
    const byAdmin = (members: GroupMember[]) => createGroupGenesis({ groupId: GROUP_ID, name: 'x', members, signer: signer('admin'), createdAt: T0 });
    const withAdmins = await byAdmin([member('admin', 'admin'), member('admin2', 'admin'), member('reader', 'reader')]);
    expect(codeOfSync(() => checkGroupGenesis(withAdmins, registry('admin')))).toBe('ok');
    const withOwner = await byAdmin([member('admin', 'admin'), member('owner', 'owner')]);
    expect(codeOfSync(() => checkGroupGenesis(withOwner, registry('admin')))).toBe('FORBIDDEN_ROLE_CHANGE');
    const selfAsOwner = await createGroupGenesis({ groupId: GROUP_ID, name: 'x', members: [member('admin', 'owner')], signer: signer('admin'), createdAt: T0 });
    expect(codeOfSync(() => checkGroupGenesis(selfAsOwner, registry('admin')))).toBe('ok'); // a creator picks its own role
  });

  it('refuses a successor with SEQ_MISMATCH', async () => {
    const next = await update('founder', g.members);
    expect(codeOfSync(() => checkGroupGenesis(next, registry('founder')))).toBe('SEQ_MISMATCH');
  });
});

describe('checkGroupSuccessor: the chain', () => {
  it('accepts the next record signed by an admin of the head', async () => {
    expect(await change('admin', withMember(g.members, member('outsider', 'reader')))).toBe('ok');
  });

  it('answers PREV_MISMATCH for a stale prev before looking at anything else', async () => {
    const first = await update('admin', g.members);
    const stale = await update('writer', withMember(g.members, member('outsider', 'owner')), { createdAt: at(2000) });
    expect(codeOfSync(() => checkGroupSuccessor({ record: first, hash: recordHash(first) }, stale, null))).toBe('PREV_MISMATCH');
  });

  it('refuses a wrong seq, a genesis, another group and a time not after the head’s', async () => {
    const next = await update('admin', g.members);
    expect(codeOfSync(() => checkGroupSuccessor(head(), { ...next, seq: 2 }, registry('admin')))).toBe('SEQ_MISMATCH');
    expect(codeOfSync(() => checkGroupSuccessor(head(), g, registry('founder')))).toBe('SEQ_MISMATCH');
    expect(codeOfSync(() => checkGroupSuccessor(head(), { ...next, groupId: '0000000000otherxxxxxxxxxx' }, registry('admin')))).toBe('INVALID_RECORD');
    const sameTime = await update('admin', g.members, { createdAt: T0 });
    expect(codeOfSync(() => checkGroupSuccessor(head(), sameTime, registry('admin')))).toBe('TIME_ORDER');
  });

  it('refuses a signer that is a writer, a reader or no member of the head with UNAUTHORIZED_SIGNER', async () => {
    expect(await change('writer', withMember(g.members, member('outsider', 'reader')))).toBe('UNAUTHORIZED_SIGNER');
    expect(await change('writer', g.members)).toBe('UNAUTHORIZED_SIGNER'); // not even a no-op
    expect(await change('reader', g.members)).toBe('UNAUTHORIZED_SIGNER');
    expect(await change('outsider', withMember(g.members, member('outsider', 'admin')))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('takes the signer’s role from the head, not from the record it signs', async () => {
    expect(await change('writer', withMember(g.members, member('writer', 'admin')))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('needs the admin’s current registry key, not the key the head pins for it', async () => {
    const rotated = signingKey(20);
    const record = await update('admin', withMember(g.members, member('admin', 'admin', rotated.publicKey)), { signingKey: rotated });
    expect(codeOfSync(() => checkGroupSuccessor(head(), record, { publicKey: rotated.publicKey, status: 'active' }))).toBe('ok');
    const withOldKey = await update('admin', g.members);
    expect(codeOfSync(() => checkGroupSuccessor(head(), withOldKey, { publicKey: rotated.publicKey, status: 'active' }))).toBe('UNAUTHORIZED_SIGNER');
    expect(codeOfSync(() => checkGroupSuccessor(head(), withOldKey, { ...registry('admin'), status: 'revoked' }))).toBe('UNAUTHORIZED_SIGNER');
    expect(codeOfSync(() => checkGroupSuccessor(head(), withOldKey, null))).toBe('UNAUTHORIZED_SIGNER');
  });
});

describe('the Peers role rule', () => {
  const roleOf = (name: Name, role: GroupRole) => withMember(g.members, member(name, role));

  it('lets an admin add, promote to, demote and remove up to admin', async () => {
    for (const role of ['reader', 'writer', 'admin'] as const) expectWith(await change('admin', roleOf('outsider', role)), role).toBe('ok');
    expect(await change('admin', roleOf('writer', 'admin'))).toBe('ok');
    expect(await change('admin', roleOf('writer', 'reader'))).toBe('ok');
    expect(await change('admin', roleOf('admin2', 'writer'))).toBe('ok');
    expect(await change('admin', withoutMember(g.members, uid('writer')))).toBe('ok');
    expect(await change('admin', withoutMember(g.members, uid('admin2')))).toBe('ok');
  });

  it('refuses an admin giving or taking owner or founder', async () => {
    expect(await change('admin', roleOf('outsider', 'owner'))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('admin', roleOf('writer', 'owner'))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('admin', roleOf('owner', 'admin'))).toBe('FORBIDDEN_ROLE_CHANGE'); // demoting the owner
    expect(await change('admin', withoutMember(g.members, uid('owner')))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('admin', withoutMember(g.members, uid('founder')))).toBe('FORBIDDEN_ROLE_CHANGE');
  });

  it('lets an owner manage owners but never the founder', async () => {
    expect(await change('owner', roleOf('admin', 'owner'))).toBe('ok');
    expect(await change('owner', roleOf('outsider', 'owner'))).toBe('ok');
    expect(await change('owner', roleOf('founder', 'owner'))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('owner', withoutMember(g.members, uid('founder')))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('owner', roleOf('outsider', 'founder'))).toBe('FORBIDDEN_ROLE_CHANGE');
  });

  it('lets a founder do anything, a second founder included', async () => {
    expect(await change('founder', roleOf('owner', 'reader'))).toBe('ok');
    expect(await change('founder', roleOf('outsider', 'founder'))).toBe('ok');
  });

  it('forbids promoting oneself, allows stepping down and leaving — the signer may remove itself', async () => {
    expect(await change('admin', roleOf('admin', 'owner'))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('admin', roleOf('admin', 'writer'))).toBe('ok');
    expect(await change('admin', withoutMember(g.members, uid('admin')))).toBe('ok');
    expect(await change('founder', withoutMember(g.members, uid('founder')))).toBe('ok');
    expect(await change('owner', roleOf('owner', 'admin'))).toBe('ok');
  });

  it('lets an admin repin the keys of members up to its own rank, never an owner’s or the founder’s (group-pinned-keys.test.ts)', async () => {
    expect(await change('admin', withMember(g.members, member('writer', 'writer', signingKey(21).publicKey)))).toBe('ok');
    expect(await change('admin', withMember(g.members, member('founder', 'founder', signingKey(21).publicKey)))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('admin', withMember(g.members, { ...member('owner', 'owner'), publicBoxKey: boxKey(22).publicKey }))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await change('founder', withMember(g.members, { ...member('owner', 'owner'), publicBoxKey: boxKey(22).publicKey }))).toBe('ok');
  });

  it('keeps at least one member of role admin or above', () => {
    const alone = [member('admin', 'admin'), member('writer', 'writer')];
    expect(codeOfSync(() => checkRoleChanges('admin', alone, [member('writer', 'writer')]))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(codeOfSync(() => checkRoleChanges('admin', alone, [member('admin', 'writer'), member('writer', 'writer')]))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(codeOfSync(() => checkRoleChanges('admin', alone, [member('writer', 'admin')]))).toBe('ok'); // hand over, then leave
  });

  it('judges every change of a record, whatever the order of members', () => {
    const reordered = [...g.members].reverse();
    expect(codeOfSync(() => checkRoleChanges('admin', g.members, reordered))).toBe('ok');
    const twoChanges = withMember(withMember(g.members, member('outsider', 'reader')), member('owner', 'writer'));
    expect(codeOfSync(() => checkRoleChanges('admin', g.members, twoChanges))).toBe('FORBIDDEN_ROLE_CHANGE');
  });
});

describe('GroupReplay', () => {
  it('replays a chain with each record’s admin identity and refuses as the registry would', async () => {
    const a = await update('admin', withMember(g.members, member('outsider', 'writer')));
    const b = await update('admin2', withMember(a.members, member('outsider', 'owner')), { previous: a, createdAt: at(2000) });
    const replay = new GroupReplay();
    replay.apply(head(), registry('founder'));
    replay.apply({ record: a, hash: recordHash(a) }, registry('admin'));
    expect(codeOfSync(() => replay.apply({ record: b, hash: recordHash(b) }, registry('admin2')))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(replay.chain.map((e) => e.record)).toEqual([g, a]);
    expect(codeOfSync(() => new GroupReplay().apply({ record: a, hash: recordHash(a) }, registry('admin')))).toBe('SEQ_MISMATCH');
  });
});

describe('identityAt', () => {
  it('gives the key live just before a log index, a later-nullified record included', async () => {
    const [k1, k2, k3] = [signingKey(30), signingKey(31), signingKey(32)];
    const [strong, weak] = [signingKey(33), signingKey(34)];
    const gen = await genesis({ signingKey: k1, rotationKeys: [strong.publicKey, weak.publicKey], signer: weak });
    const rotated = await createSuccessorRecord({ previous: gen, signingKey: k2, signer: weak, createdAt: at(1000) });
    const recovered = await createSuccessorRecord({ previous: gen, signingKey: k3, signer: strong, createdAt: at(2000) });
    const history: IdentityLogEntry[] = [
      { index: 3, record: gen, hash: recordHash(gen), acceptedAt: t0 },
      { index: 10, record: rotated, hash: recordHash(rotated), acceptedAt: t0 + 1000 },
      { index: 20, record: recovered, hash: recordHash(recovered), acceptedAt: t0 + 2000 },
    ];
    expect(identityAt(history, 3)).toBeNull();
    expect(identityAt(history, 4)).toEqual({ publicKey: k1.publicKey, status: 'active' });
    expect(identityAt(history, 10)?.publicKey).toBe(k1.publicKey);
    expect(identityAt(history, 11)?.publicKey).toBe(k2.publicKey); // nullified at 20, but live at 11
    expect(identityAt(history, 21)?.publicKey).toBe(k3.publicKey);
  });
});
