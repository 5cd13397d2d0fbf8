/**
 * Group records (DESIGN.md §4): a group is a key registry for its members. The schema, the roles
 * and the signature. Chain and role rules: group-rules.ts.
 */
import * as z from 'zod/mini';
import { fromBase64Url } from './encoding.js';
import { ProtocolError } from './errors.js';
import { parseAndEncodeRecord, parseRecord, type Assert, type EncodedRecord, type SchemaMatches } from './records.js';
import { displayNameSchema, ed25519KeySchema, hashSchema, peersIdSchema, signatureSchema, timestampSchema, x25519KeySchema } from './schemas.js';
import { signingInput, type VerifySignature } from './signing.js';

export const GROUP_MAX_BYTES = 128 * 1024;
export const MAX_GROUP_MEMBERS = 500;
export const MAX_GROUP_NAME = 128;

/** The Peers roles, weakest first: a role's position is its rank. */
export const GROUP_ROLES = ['reader', 'writer', 'admin', 'owner', 'founder'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

/** A role's rank (reader 0 … founder 4); no role at all (not a member) ranks below every role. */
export function roleRank(role: GroupRole | null): number {
  return role === null ? -1 : GROUP_ROLES.indexOf(role);
}

/** Whether `role` may sign group records: admin or above. */
export function isAdminRole(role: GroupRole | null): boolean {
  return roleRank(role) >= roleRank('admin');
}

/** @internal */
export const groupMemberSchema = z.strictObject({
  userId: peersIdSchema,
  /** The member's signing key, as the group pins it. */
  publicKey: ed25519KeySchema,
  /** The member's box key, as the group pins it. */
  publicBoxKey: x25519KeySchema,
  role: z.enum(GROUP_ROLES),
});

/** A group's member, with the keys the group pins for them. */
export type GroupMember = {
  userId: string;
  /** The member's signing key, as the group pins it. */
  publicKey: string;
  /** The member's box key, as the group pins it. */
  publicBoxKey: string;
  role: GroupRole;
};
type _GroupMemberMatchesSchema = Assert<SchemaMatches<typeof groupMemberSchema, GroupMember>>;

/** @internal */
export const groupRecordSchema = z
  .strictObject({
    type: z.literal('group'),
    groupId: peersIdSchema,
    seq: z.int().check(z.minimum(0)),
    prev: z.nullable(hashSchema),
    name: displayNameSchema(MAX_GROUP_NAME),
    members: z
      .array(groupMemberSchema)
      .check(
        z.maxLength(MAX_GROUP_MEMBERS),
        z.refine((members) => new Set(members.map((m) => m.userId)).size === members.length, 'a userId appears at most once in members'),
      ),
    createdAt: timestampSchema,
    /** The userId of the signing member. */
    adminId: peersIdSchema,
    signer: ed25519KeySchema,
    sig: signatureSchema,
  })
  .check(z.refine((r) => (r.seq === 0) === (r.prev === null), { message: 'seq 0 and prev null go together: only a genesis has them', path: ['prev'] }));

/** One record of a group's chain (DESIGN.md §4), signed by an admin. */
export type GroupRecord = {
  type: 'group';
  groupId: string;
  /** 0 for the genesis, then one more per record. */
  seq: number;
  /** The hash of the previous record; null only for the genesis. */
  prev: string | null;
  name: string;
  /** Up to 500 members, each userId at most once. */
  members: GroupMember[];
  createdAt: string;
  /** The userId of the signing member. */
  adminId: string;
  /** The admin's signing key at the time. */
  signer: string;
  sig: string;
};
type _GroupRecordMatchesSchema = Assert<SchemaMatches<typeof groupRecordSchema, GroupRecord>>;
export type UnsignedGroupRecord = Omit<GroupRecord, 'sig'>;

/** `sig` covers `"peerkeys:v1:group\n" || JCS(record without "sig")`. */
export function groupSigningInput(record: UnsignedGroupRecord | GroupRecord): Uint8Array {
  return signingInput('group', record, ['sig']);
}

export function parseGroupRecord(value: unknown): GroupRecord {
  return parseRecord(groupRecordSchema, value, GROUP_MAX_BYTES, 'group');
}

/** parseGroupRecord, with the record's canonical JSON (what the registry hashes and logs). @internal (the registry's, not the SDK's) */
export function parseAndEncodeGroupRecord(value: unknown): EncodedRecord<GroupRecord> {
  return parseAndEncodeRecord(groupRecordSchema, value, GROUP_MAX_BYTES, 'group');
}

/** Checks `sig` under `signer`; a failure is BAD_SIGNATURE. Whether `signer` may sign is a rule (group-rules.ts). */
export async function verifyGroupSignature(record: GroupRecord, verify: VerifySignature): Promise<void> {
  const ok = await verify(fromBase64Url(record.signer, 32)!, groupSigningInput(record), fromBase64Url(record.sig, 64)!);
  if (!ok) throw new ProtocolError('BAD_SIGNATURE', 'sig does not verify under signer');
}

/** The member entry of `userId`, or null when the group does not list it. */
export function memberOf(record: Pick<GroupRecord, 'members'>, userId: string): GroupMember | null {
  return record.members.find((m) => m.userId === userId) ?? null;
}
