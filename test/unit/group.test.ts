// Group records (DESIGN.md §4): the strict schema, its limits and the signature.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { toBase64Url, utf8 } from '../../src/protocol/encoding.js';
import {
  GROUP_MAX_BYTES,
  MAX_GROUP_MEMBERS,
  groupSigningInput,
  parseGroupRecord,
  roleRank,
  verifyGroupSignature,
  type GroupMember,
  type GroupRecord,
} from '../../src/protocol/group.js';
import { identitySigningInput } from '../../src/protocol/identity.js';
import { parseJson } from '../../src/protocol/json.js';
import { canonicalBytes } from '../../src/protocol/signing.js';
import { createGroupGenesis, createGroupUpdate, signGroupRecord } from '../../src/sdk/group-records.js';
import { signerFor } from '../../src/sdk/keys.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { T0, boxKey, signingKey } from '../helpers/fixed-identities.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';
import { codeOf } from '../helpers/errors.js';
import { expectWith } from '../helpers/expect-with.js';

const parseCode = (value: unknown) => codeOf(() => parseGroupRecord(value));

/** A Peers id for test user `n`. */
const uid = (n: number) => `0000000000${String(n).padStart(15, 'u')}`;
const member = (n: number, role: GroupMember['role']): GroupMember => ({ userId: uid(n), publicKey: signingKey(n).publicKey, publicBoxKey: boxKey(n).publicKey, role });

let g: GroupRecord;
let next: GroupRecord;

beforeAll(async () => {
  g = await createGroupGenesis({
    groupId: '0000000000ggggggggggggggg',
    name: 'Book club 📚',
    members: [member(1, 'founder'), member(2, 'writer')],
    signer: { userId: uid(1), signingKey: signingKey(1) },
    createdAt: T0,
  });
  next = await createGroupUpdate({ previous: g, members: [...g.members, member(3, 'reader')], signer: { userId: uid(1), signingKey: signingKey(1) }, createdAt: '2026-11-24T21:00:01.000Z' });
}, 120_000);

describe('parseGroupRecord', () => {
  it('accepts the records the SDK builds, unchanged, also after a JSON round trip', () => {
    expect(parseGroupRecord(g)).toEqual(g);
    expect(parseGroupRecord(next)).toEqual(next);
    expect(parseGroupRecord(parseJson(JSON.stringify(next)))).toEqual(next);
  });

  it('is strict: an unknown, missing or mistyped field is INVALID_RECORD, in the record and in a member', async () => {
    expect(await parseCode({ ...g, extra: 1 })).toBe('INVALID_RECORD');
    for (const field of Object.keys(g)) {
      const copy: Record<string, unknown> = { ...g };
      delete copy[field];
      expectWith(await parseCode(copy), field).toBe('INVALID_RECORD');
    }
    expect(await parseCode({ ...g, type: 'identity' })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, seq: '0' })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, members: [{ ...g.members[0], nickname: 'x' }] })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, members: [{ ...g.members[0], role: 'moderator' }] })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, members: [{ ...g.members[0], publicBoxKey: 'A'.repeat(43) }] })).toBe('INVALID_RECORD'); // the all-zero box key
    expect(await parseCode({ ...g, adminId: 'NOT-A-PEERS-ID' })).toBe('INVALID_RECORD');
  });

  it('requires seq 0 with prev null and the reverse', async () => {
    expect(await parseCode({ ...g, prev: next.prev })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...next, prev: null })).toBe('INVALID_RECORD');
  });

  it('counts the name in code points: 1 to 128, no control characters', async () => {
    expect(await parseCode({ ...g, name: '🦊'.repeat(128) })).toBe('ok'); // 256 UTF-16 units
    expect(await parseCode({ ...g, name: '🦊'.repeat(129) })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, name: '' })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, name: 'a\nb' })).toBe('INVALID_RECORD');
  });

  it('allows a userId once, and at most 500 members (none is a schema matter: the rules need an admin)', async () => {
    expect(await parseCode({ ...g, members: [g.members[0], { ...g.members[1], userId: g.members[0]!.userId }] })).toBe('INVALID_RECORD');
    const many = Array.from({ length: MAX_GROUP_MEMBERS + 1 }, (_, i) => ({ ...g.members[1]!, userId: uid(1000 + i) }));
    expect(await parseCode({ ...g, members: many.slice(0, MAX_GROUP_MEMBERS) })).toBe('ok');
    expect(await parseCode({ ...g, members: many })).toBe('INVALID_RECORD');
    expect(await parseCode({ ...g, members: [] })).toBe('ok');
  });

  it('cannot reach the 128 KiB limit with 500 members: the largest valid record is well under it', () => {
    const members = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => ({ ...g.members[0]!, userId: uid(1000 + i), role: 'founder' as const }));
    const largest = { ...g, name: '\u{10FFFF}'.repeat(128), members };
    expect(parseGroupRecord(largest)).toEqual(largest);
    expect(canonicalBytes(largest).length).toBeLessThan(GROUP_MAX_BYTES);
  });
});

describe('group signatures', () => {
  it('sign "peerkeys:v1:group\\n" || JCS(record without sig)', () => {
    const { sig: _sig, ...unsigned } = g;
    expect(groupSigningInput(g)).toEqual(new Uint8Array([...utf8('peerkeys:v1:group\n'), ...canonicalBytes(unsigned)]));
  });

  it('verify under signer with both back ends; a changed field is BAD_SIGNATURE', async () => {
    for (const verify of [nodeVerify, naclVerify]) {
      expect(await codeOf(() => verifyGroupSignature(g, verify))).toBe('ok');
      expect(await codeOf(() => verifyGroupSignature({ ...g, name: 'Book club!' }, verify))).toBe('BAD_SIGNATURE');
      expect(await codeOf(() => verifyGroupSignature({ ...next, members: g.members }, verify))).toBe('BAD_SIGNATURE');
    }
  });

  it('are domain-separated from identity signatures over the same fields', async () => {
    const { sig: _sig, ...unsigned } = g;
    const asIdentity = await signerFor(signingKey(1))(identitySigningInput(unsigned as never));
    const forged = { ...g, sig: toBase64Url(asIdentity) };
    expect(await codeOf(() => verifyGroupSignature(forged, nodeVerify))).toBe('BAD_SIGNATURE');
  });

  it('signGroupRecord refuses a key that is not the record’s signer', async () => {
    const { sig: _sig, ...unsigned } = g;
    await expect(signGroupRecord(unsigned, signingKey(2))).rejects.toThrow(TypeError);
  });

  it('rank the roles reader < writer < admin < owner < founder, no role below all', () => {
    expect(['reader', 'writer', 'admin', 'owner', 'founder'].map((r) => roleRank(r as GroupMember['role']))).toEqual([0, 1, 2, 3, 4]);
    expect(roleRank(null)).toBeLessThan(roleRank('reader'));
  });
});
