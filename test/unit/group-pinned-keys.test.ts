// Security issue part 6: an admin could repin the owner. "Any admin may update a member's pinned
// keys" let an admin replace the owner's keys with its own, so a peer relying on the group's trust
// took the admin for the owner. Key changes now follow the rank rule of role changes (DESIGN.md §4):
// the signer's role must be at least the role the member holds in the head. Pure rule tests: the
// registry and every verifier apply the same function.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { GroupMember, GroupRecord, GroupRole } from '../../src/protocol/group.js';
import { GroupReplay, checkGroupSuccessor, checkRoleChanges, type AdminIdentity } from '../../src/protocol/group-rules.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp, parseTimestamp } from '../../src/protocol/time.js';
import { createGroupGenesis, createGroupUpdate, withMember } from '../../src/sdk/group-records.js';
import { T0, boxKey, signingKey } from '../helpers/fixed-identities.js';
import { codeOfSync } from '../helpers/errors.js';

const USERS = { founder: 1, owner: 2, admin: 3, admin2: 4, writer: 5, reader: 6, owner2: 7 } as const;
type Name = keyof typeof USERS;
const uid = (name: Name) => `0000000000${name.padEnd(15, 'x')}`;
const member = (name: Name, role: GroupRole, keys: { publicKey?: string; publicBoxKey?: string } = {}): GroupMember => ({
  userId: uid(name),
  publicKey: keys.publicKey ?? signingKey(USERS[name]).publicKey,
  publicBoxKey: keys.publicBoxKey ?? boxKey(USERS[name]).publicKey,
  role,
});
const registry = (name: Name): AdminIdentity => ({ publicKey: signingKey(USERS[name]).publicKey, status: 'active' });
const signer = (name: Name) => ({ userId: uid(name), signingKey: signingKey(USERS[name]) });
const at = (ms: number) => formatTimestamp(parseTimestamp(T0)! + ms);

let g: GroupRecord; // founder, owner, owner2, admin, admin2, writer, reader
const ROLES: Record<Name, GroupRole> = { founder: 'founder', owner: 'owner', owner2: 'owner', admin: 'admin', admin2: 'admin', writer: 'writer', reader: 'reader' };

beforeAll(async () => {
  g = await createGroupGenesis({
    groupId: '0000000000groupxxxxxxxxxx',
    name: 'Peers',
    members: (Object.keys(USERS) as Name[]).map((name) => member(name, ROLES[name])),
    signer: signer('founder'),
    createdAt: T0,
  });
}, 120_000);

/** The code the registry answers when `by` repins `whom` (role unchanged) to the signer's own keys. */
async function repin(by: Name, whom: Name, field: 'publicKey' | 'publicBoxKey' = 'publicKey'): Promise<string> {
  const own = { publicKey: signingKey(USERS[by]).publicKey, publicBoxKey: boxKey(USERS[by]).publicKey };
  const changed = member(whom, ROLES[whom], by === whom ? { [field]: field === 'publicKey' ? signingKey(40).publicKey : boxKey(40).publicKey } : { [field]: own[field] });
  const record = await createGroupUpdate({ previous: g, members: withMember(g.members, changed), signer: signer(by), createdAt: at(1000) });
  return codeOfSync(() => checkGroupSuccessor({ record: g, hash: recordHash(g) }, record, registry(by)));
}

describe('repinning a member’s keys needs a signer whose role is at least the member’s', () => {
  // [signer, member whose keys change, expected]: the refused rows are the attack and its kin.
  it.each([
    ['admin', 'owner', 'FORBIDDEN_ROLE_CHANGE'],
    ['admin', 'owner2', 'FORBIDDEN_ROLE_CHANGE'],
    ['admin', 'founder', 'FORBIDDEN_ROLE_CHANGE'],
    ['owner', 'founder', 'FORBIDDEN_ROLE_CHANGE'],
    ['admin', 'admin2', 'ok'],
    ['admin', 'writer', 'ok'],
    ['admin', 'reader', 'ok'],
    ['admin', 'admin', 'ok'],
    ['owner', 'owner2', 'ok'],
    ['owner', 'owner', 'ok'],
    ['founder', 'owner', 'ok'],
    ['founder', 'founder', 'ok'],
  ] as Array<[Name, Name, string]>)('%s repinning %s’s signing key: %s', async (by, whom, expected) => {
    expect(await repin(by, whom)).toBe(expected);
  });

  it('counts the box key as a pinned key too', async () => {
    expect(await repin('admin', 'owner', 'publicBoxKey')).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await repin('admin', 'writer', 'publicBoxKey')).toBe('ok');
  });

  it('judges the member’s role in the head: promoting a writer to owner while repinning it is refused for its role, not let through for its keys', () => {
    const before = [member('admin', 'admin'), member('writer', 'writer')];
    expect(codeOfSync(() => checkRoleChanges('admin', before, [member('admin', 'admin'), member('writer', 'admin', { publicKey: signingKey(41).publicKey })]))).toBe('ok');
    expect(codeOfSync(() => checkRoleChanges('admin', before, [member('admin', 'admin'), member('writer', 'owner', { publicKey: signingKey(41).publicKey })]))).toBe('FORBIDDEN_ROLE_CHANGE');
  });

  it('refuses an admin who demotes nobody but repins the owner in a record that also makes other, allowed changes', async () => {
    const members = withMember(withMember(g.members, member('writer', 'admin')), member('owner', 'owner', { publicKey: signingKey(USERS.admin).publicKey }));
    const record = await createGroupUpdate({ previous: g, members, signer: signer('admin'), createdAt: at(1000) });
    expect(codeOfSync(() => checkGroupSuccessor({ record: g, hash: recordHash(g) }, record, registry('admin')))).toBe('FORBIDDEN_ROLE_CHANGE');
  });

  it('is what verifiers replay: a chain in which an admin repinned the owner does not replay', async () => {
    const attack = await createGroupUpdate({ previous: g, members: withMember(g.members, member('owner', 'owner', { publicKey: signingKey(USERS.admin).publicKey })), signer: signer('admin'), createdAt: at(1000) });
    const replay = new GroupReplay();
    replay.apply({ record: g, hash: recordHash(g) }, registry('founder'));
    expect(codeOfSync(() => replay.apply({ record: attack, hash: recordHash(attack) }, registry('admin')))).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(replay.chain).toHaveLength(1);
  });
});
