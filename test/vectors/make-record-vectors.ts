/**
 * Writes the shared record vectors test/vectors/{valid,invalid}/*.json (run once with
 * `npx tsx test/vectors/make-record-vectors.ts`; the files are then frozen and committed, like
 * did-method-plc's interop vectors). Every key comes from a fixed seed and every time is fixed, and
 * Ed25519 signatures are deterministic, so running it again writes the same bytes.
 *
 * A vector is a sequence of log entries, each a record and the time the registry accepts it:
 *   { "description", "entries": [{ "acceptedAt", "record" }], "expect"?: { "index", "code" } }
 * A valid vector's entries are all accepted, in order. An invalid one's entries before
 * `expect.index` are accepted and the entry at `expect.index` is refused with `expect.code`
 * (DESIGN.md §6's error codes). Replayed by test/unit/record-vectors.test.ts (the rules, through
 * src/ledger/) and test/integration/record-vectors.test.ts (the registry over HTTP, and the SDK).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { GroupRecord } from '../../src/protocol/group.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import { createGroupGenesis, createGroupUpdate, groupMember } from '../../src/sdk/group-records.js';
import { boxKeyPairFromSecretKey, signingKeyPairFromSeed, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createGenesisRecord, createSuccessorRecord } from '../../src/sdk/records.js';

const DIR = new URL('.', import.meta.url).pathname;
const T0 = Date.parse('2026-11-24T21:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type VectorRecord = IdentityRecord | GroupRecord | Record<string, unknown>;
interface Vector {
  description: string;
  entries: Array<{ acceptedAt: string; record: VectorRecord }>;
  expect?: { index: number; code: string };
}

const key = (seed: number): SigningKeyPair => signingKeyPairFromSeed(new Uint8Array(32).fill(seed));

/** A person of vector `n`: keys from seeds 10n+1.. (signing, box, rotation, recovery). */
function person(n: number, k = 0) {
  const base = 10 * n + 3 * k + 1;
  return { signing: key(base), box: boxKeyPairFromSecretKey(new Uint8Array(32).fill(base)), rotation: key(base + 1), recovery: key(base + 2) };
}

type Person = ReturnType<typeof person>;

function genesis(p: Person, at: number, name = 'Vector'): Promise<IdentityRecord> {
  return createGenesisRecord({ signingKey: p.signing, boxKey: p.box, rotationKeys: [p.recovery.publicKey, p.rotation.publicKey], signer: p.rotation, name, createdAt: formatTimestamp(at) });
}

/** Entries at T0 + `day` days, one minute apart unless a time is given. */
function timeline(day: number) {
  let t = T0 + day * DAY;
  const entries: Vector['entries'] = [];
  return {
    entries,
    /** The time of the next entry (advancing `after` ms first). */
    next(after = MINUTE): number {
      t += after;
      return t;
    },
    add(record: VectorRecord, at: number): void {
      entries.push({ acceptedAt: formatTimestamp(at), record });
    },
  };
}

const vectors: Record<'valid' | 'invalid', Record<string, () => Promise<Vector>>> = {
  valid: {
    async 'identity-rotations'() {
      const tl = timeline(1);
      const p = person(1);
      const g = await genesis(p, tl.next());
      tl.add(g, T0 + DAY + MINUTE);
      const r1 = await createSuccessorRecord({ previous: g, signingKey: key(221), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(r1, Date.parse(r1.createdAt));
      const r2 = await createSuccessorRecord({ previous: r1, signingKey: key(222), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(r2, Date.parse(r2.createdAt));
      return { description: 'a genesis and two rotations of the signing key, each signed by the rotation key', entries: tl.entries };
    },
    async 'identity-recovery'() {
      const tl = timeline(2);
      const p = person(2);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const stolen = await createSuccessorRecord({ previous: g, signingKey: key(223), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(stolen, Date.parse(stolen.createdAt));
      const recovery = await createSuccessorRecord({ previous: g, signingKey: key(224), signer: p.recovery, createdAt: formatTimestamp(tl.next(71 * HOUR)) });
      tl.add(recovery, Date.parse(recovery.createdAt));
      return { description: 'a recovery: the stronger recovery key forks from the genesis 71 hours after the update it overrules', entries: tl.entries };
    },
    async 'identity-revocation'() {
      const tl = timeline(3);
      const p = person(3);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const revoked = await createSuccessorRecord({ previous: g, signingKey: p.signing, signer: p.rotation, status: 'revoked', createdAt: formatTimestamp(tl.next()) });
      tl.add(revoked, Date.parse(revoked.createdAt));
      return { description: 'a genesis and its revocation', entries: tl.entries };
    },
    async 'group-after-admin-rotation'() {
      const tl = timeline(4);
      const admin = person(4);
      const member = person(4, 1);
      const a = await genesis(admin, tl.next(), 'Admin');
      tl.add(a, Date.parse(a.createdAt));
      const m = await genesis(member, tl.next(), 'Member');
      tl.add(m, Date.parse(m.createdAt));
      const members = [groupMember({ userId: a.userId, publicKey: a.publicKey, publicBoxKey: a.publicBoxKey }, 'founder'), groupMember({ userId: m.userId, publicKey: m.publicKey, publicBoxKey: m.publicBoxKey }, 'reader')];
      const founded = await createGroupGenesis({ name: 'Vectors', members, signer: { userId: a.userId, signingKey: admin.signing }, createdAt: formatTimestamp(tl.next()) });
      tl.add(founded, Date.parse(founded.createdAt));
      const rotated = await createSuccessorRecord({ previous: a, signingKey: key(225), signer: admin.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(rotated, Date.parse(rotated.createdAt));
      const repinned = [groupMember({ userId: a.userId, publicKey: rotated.publicKey, publicBoxKey: a.publicBoxKey }, 'founder'), members[1]!];
      const update = await createGroupUpdate({ previous: founded, members: repinned, signer: { userId: a.userId, signingKey: key(225) }, createdAt: formatTimestamp(tl.next()) });
      tl.add(update, Date.parse(update.createdAt));
      return { description: "a group founded, its admin's key rotated, and an update signed with the new key (repinning the admin)", entries: tl.entries };
    },
  },
  invalid: {
    async 'identity-extra-field'() {
      const tl = timeline(11);
      const g = await genesis(person(11), tl.next());
      tl.add({ ...g, nickname: 'x' }, Date.parse(g.createdAt));
      return { description: 'a genesis with a field the strict schema does not know', entries: tl.entries, expect: { index: 0, code: 'INVALID_RECORD' } };
    },
    async 'identity-bad-signature'() {
      const tl = timeline(12);
      const g = await genesis(person(12), tl.next());
      tl.add({ ...g, name: 'Mallory' }, Date.parse(g.createdAt));
      return { description: 'a genesis whose name was changed after it was signed', entries: tl.entries, expect: { index: 0, code: 'BAD_SIGNATURE' } };
    },
    async 'identity-prev-mismatch'() {
      const tl = timeline(13);
      const p = person(13);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const r1 = await createSuccessorRecord({ previous: g, signingKey: key(227), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(r1, Date.parse(r1.createdAt));
      const stale = await createSuccessorRecord({ previous: g, signingKey: key(228), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(stale, Date.parse(stale.createdAt));
      return { description: 'an update that names the genesis as prev after another update, signed by the same (not a stronger) key', entries: tl.entries, expect: { index: 2, code: 'PREV_MISMATCH' } };
    },
    async 'identity-unauthorized-signer'() {
      const tl = timeline(14);
      const p = person(14);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const r1 = await createSuccessorRecord({ previous: g, signingKey: key(229), signer: p.signing, createdAt: formatTimestamp(tl.next()) });
      tl.add(r1, Date.parse(r1.createdAt));
      return { description: 'an update signed by the signing key, which is not a rotation key', entries: tl.entries, expect: { index: 1, code: 'UNAUTHORIZED_SIGNER' } };
    },
    async 'identity-after-revocation'() {
      const tl = timeline(15);
      const p = person(15);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const revoked = await createSuccessorRecord({ previous: g, signingKey: p.signing, signer: p.rotation, status: 'revoked', createdAt: formatTimestamp(tl.next()) });
      tl.add(revoked, Date.parse(revoked.createdAt));
      const after = await createSuccessorRecord({ previous: revoked, signingKey: key(230), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(after, Date.parse(after.createdAt));
      return { description: 'an update of a revoked identity', entries: tl.entries, expect: { index: 2, code: 'REVOKED' } };
    },
    async 'identity-time-order'() {
      const tl = timeline(16);
      const p = person(16);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const earlier = await createSuccessorRecord({ previous: g, signingKey: key(231), signer: p.rotation, createdAt: formatTimestamp(Date.parse(g.createdAt) - 1000) });
      tl.add(earlier, Date.parse(g.createdAt) + 1000);
      return { description: 'an update whose createdAt is before its predecessor’s', entries: tl.entries, expect: { index: 1, code: 'TIME_ORDER' } };
    },
    async 'identity-late-recovery'() {
      const tl = timeline(17);
      const p = person(17);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const stolen = await createSuccessorRecord({ previous: g, signingKey: key(232), signer: p.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(stolen, Date.parse(stolen.createdAt));
      const late = await createSuccessorRecord({ previous: g, signingKey: key(233), signer: p.recovery, createdAt: formatTimestamp(tl.next(73 * HOUR)) });
      tl.add(late, Date.parse(late.createdAt));
      return { description: 'a recovery 73 hours after the update it would overrule: the 72-hour window has closed', entries: tl.entries, expect: { index: 2, code: 'LATE_RECOVERY' } };
    },
    async 'identity-second-genesis'() {
      const tl = timeline(18);
      const p = person(18);
      const g = await genesis(p, tl.next());
      tl.add(g, Date.parse(g.createdAt));
      const again = await createGenesisRecord({ signingKey: key(234), boxKey: p.box, rotationKeys: [p.recovery.publicKey, p.rotation.publicKey], signer: p.rotation, userId: g.userId, createdAt: g.createdAt });
      tl.add(again, Date.parse(g.createdAt) + MINUTE);
      return { description: 'a second genesis for a userId that has one', entries: tl.entries, expect: { index: 1, code: 'ALREADY_EXISTS' } };
    },
    async 'group-old-admin-key'() {
      const tl = timeline(19);
      const admin = person(19);
      const a = await genesis(admin, tl.next(), 'Admin');
      tl.add(a, Date.parse(a.createdAt));
      const members = [groupMember({ userId: a.userId, publicKey: a.publicKey, publicBoxKey: a.publicBoxKey }, 'founder')];
      const founded = await createGroupGenesis({ name: 'Stale key', members, signer: { userId: a.userId, signingKey: admin.signing }, createdAt: formatTimestamp(tl.next()) });
      tl.add(founded, Date.parse(founded.createdAt));
      const rotated = await createSuccessorRecord({ previous: a, signingKey: key(235), signer: admin.rotation, createdAt: formatTimestamp(tl.next()) });
      tl.add(rotated, Date.parse(rotated.createdAt));
      const stale = await createGroupUpdate({ previous: founded, name: 'Renamed', signer: { userId: a.userId, signingKey: admin.signing }, createdAt: formatTimestamp(tl.next()) });
      tl.add(stale, Date.parse(stale.createdAt));
      return { description: "a group update signed with its admin's key from before the admin's rotation", entries: tl.entries, expect: { index: 3, code: 'UNAUTHORIZED_SIGNER' } };
    },
    async 'group-forbidden-role-change'() {
      const tl = timeline(20);
      const founder = person(20);
      const adminPerson = person(20, 1);
      const f = await genesis(founder, tl.next(), 'Founder');
      tl.add(f, Date.parse(f.createdAt));
      const ad = await genesis(adminPerson, tl.next(), 'Admin');
      tl.add(ad, Date.parse(ad.createdAt));
      const asFounder = groupMember({ userId: f.userId, publicKey: f.publicKey, publicBoxKey: f.publicBoxKey }, 'founder');
      const asAdmin = groupMember({ userId: ad.userId, publicKey: ad.publicKey, publicBoxKey: ad.publicBoxKey }, 'admin');
      const founded = await createGroupGenesis({ name: 'Ranks', members: [asFounder, asAdmin], signer: { userId: f.userId, signingKey: founder.signing }, createdAt: formatTimestamp(tl.next()) });
      tl.add(founded, Date.parse(founded.createdAt));
      const coup = await createGroupUpdate({ previous: founded, members: [asAdmin], signer: { userId: ad.userId, signingKey: adminPerson.signing }, createdAt: formatTimestamp(tl.next()) });
      tl.add(coup, Date.parse(coup.createdAt));
      return { description: 'an admin removes the founder, whose role ranks above its own', entries: tl.entries, expect: { index: 3, code: 'FORBIDDEN_ROLE_CHANGE' } };
    },
  },
};

for (const [folder, made] of Object.entries(vectors)) {
  mkdirSync(`${DIR}${folder}`, { recursive: true });
  for (const [name, make] of Object.entries(made)) writeFileSync(`${DIR}${folder}/${name}.json`, `${JSON.stringify(await make(), null, 2)}\n`);
}
