/** People with registered identities and the group records they sign, for group tests. */
import type { GroupMember, GroupRecord, GroupRole } from '../../src/protocol/group.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { createGroupGenesis, createGroupUpdate, groupMember } from '../../src/sdk/group-records.js';
import { createIdentityRecord, generateIdentityKeys, type IdentityKeys } from '../../src/sdk/identity-keys.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { api, type Target } from './http.js';

export interface Person {
  name: string;
  keys: IdentityKeys;
  records: IdentityRecord[];
  readonly userId: string;
  /** The current signing key (rotations replace it). */
  signing: SigningKeyPair;
}

/** A new identity, registered over HTTP (201 expected). */
export async function registeredPerson(base: Target, name: string): Promise<Person> {
  const keys = generateIdentityKeys();
  const genesis = await createIdentityRecord(keys, { name });
  const reply = await api(base).post('/v1/users', genesis);
  if (reply.status !== 201) throw new Error(`registering ${name}: ${reply.status} ${reply.text}`);
  return { name, keys, records: [genesis], userId: genesis.userId, signing: keys.signing };
}

/** Rotates the person's signing key in the registry (200 expected); returns the old key. */
export async function rotate(base: Target, person: Person): Promise<SigningKeyPair> {
  const old = person.signing;
  const signing = generateSigningKeyPair();
  const record = await createSuccessorRecord({ previous: person.records[person.records.length - 1]!, signingKey: signing, signer: person.keys.rotation });
  const reply = await api(base).post(`/v1/users/${person.userId}`, record);
  if (reply.status !== 200) throw new Error(`rotating ${person.name}: ${reply.status} ${reply.text}`);
  person.records.push(record);
  person.signing = signing;
  return old;
}

/** The person as a member entry, pinning its current keys. */
export function asMember(person: Person, role: GroupRole): GroupMember {
  return groupMember({ userId: person.userId, publicKey: person.signing.publicKey, publicBoxKey: person.keys.box.publicKey }, role);
}

/** A genesis signed by `founder`, who is listed first as founder. */
export function foundGroup(founder: Person, name: string, others: GroupMember[] = []): Promise<GroupRecord> {
  return createGroupGenesis({ name, members: [asMember(founder, 'founder'), ...others], signer: { userId: founder.userId, signingKey: founder.signing } });
}

/** The update of `previous` to `members`, signed by `by` (with its current key unless told otherwise). */
export function groupUpdate(previous: GroupRecord, by: Person, members: GroupMember[], signingKey: SigningKeyPair = by.signing): Promise<GroupRecord> {
  return createGroupUpdate({ previous, members, signer: { userId: by.userId, signingKey } });
}
