// Security issue part 6, over HTTP: an admin replaced the owner's pinned keys with its own and got
// 200, so a peer trusting the group (groupTrust) took the admin for the owner. Now 422
// FORBIDDEN_ROLE_CHANGE: changing a member's pinned keys needs a role at least the member's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, withMember } from '../../src/sdk/index.js';
import { asMember, foundGroup, groupUpdate, registeredPerson, rotate, type Person } from '../helpers/groups.js';
import { api } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;

beforeAll(async () => {
  registry = await startTestRegistry();
}, 120_000);
afterAll(() => registry?.close(), 120_000);

describe('repinning a member’s keys', () => {
  let founder: Person, owner: Person, admin: Person, writer: Person;

  beforeAll(async () => {
    [founder, owner, admin, writer] = (await Promise.all(['Fay', 'Otto', 'Ada', 'Wes'].map((name) => registeredPerson(registry.url, name)))) as [Person, Person, Person, Person];
  }, 120_000);

  it('an admin repinning the owner to the admin’s own keys: 422 FORBIDDEN_ROLE_CHANGE, and the group still pins the owner', async () => {
    const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
    const group = await foundGroup(founder, 'Repin', [asMember(owner, 'owner'), asMember(admin, 'admin'), asMember(writer, 'writer')]);
    await client.registerGroup(group);

    const impostor = { ...asMember(owner, 'owner'), publicKey: admin.signing.publicKey, publicBoxKey: admin.keys.box.publicKey };
    const reply = await api(registry.url).post(`/v1/groups/${group.groupId}`, await groupUpdate(group, admin, withMember(group.members, impostor)));
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('FORBIDDEN_ROLE_CHANGE');
    expect(await client.keysFromGroup(group.groupId, owner.userId)).toMatchObject({ publicKey: owner.signing.publicKey, publicBoxKey: owner.keys.box.publicKey, role: 'owner' });

    // The admin may still repin those it outranks or equals, and itself; the owner may repin itself.
    const writerRepinned = await groupUpdate(group, admin, withMember(group.members, { ...asMember(writer, 'writer'), publicBoxKey: admin.keys.box.publicKey }));
    expect((await api(registry.url).post(`/v1/groups/${group.groupId}`, writerRepinned)).status).toBe(200);
    await rotate(registry.url, owner);
    const ownerRepinsSelf = await groupUpdate(writerRepinned, owner, withMember(writerRepinned.members, asMember(owner, 'owner')));
    const selfReply = await api(registry.url).post(`/v1/groups/${group.groupId}`, ownerRepinsSelf);
    expect(selfReply.status).toBe(200);
    expect((await client.keysFromGroup(group.groupId, owner.userId))?.publicKey).toBe(owner.signing.publicKey);
  });
});
