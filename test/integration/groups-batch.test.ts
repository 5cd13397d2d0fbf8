// One batch, two ledgers: an admin's identity rotation and a group record by that admin decided in
// the same transaction. The group ledger sees the identity ledger's decisions so far, so the server
// judges each group record with the admin's key as it stands just before the record's log index —
// what verify-log and clients replaying the log see.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GroupRecord } from '../../src/protocol/group.js';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { createIdentityRecord, generateIdentityKeys, type IdentityKeys } from '../../src/sdk/identity-keys.js';
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { createGroupGenesis, createGroupUpdate, groupMember } from '../../src/sdk/group-records.js';
import { auditLog } from '../../src/db/log-audit.js';
import { groupKind, identityKind, Write } from '../../src/ledger/index.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import type { AppendResult, LogWriter } from '../../src/server/log/log-writer.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startedLogWriter } from '../helpers/log-writer.js';
import { expectWith } from '../helpers/expect-with.js';

let database: TestDatabase;
let writer: LogWriter;
const key = logKeyFromSeed('test.example/peerkeys', new Uint8Array(randomBytes(32)));

beforeAll(async () => {
  database = await openTestDatabase();
  writer = await startedLogWriter(database.db, key);
}, 120_000);
afterAll(async () => {
  await writer?.drain();
  await database?.close();
}, 120_000);

const identityWrite = (record: IdentityRecord, mode: 'genesis' | 'successor') => new Write(identityKind, record, mode);
const groupWrite = (record: GroupRecord, mode: 'genesis' | 'successor') => new Write(groupKind, record, mode);

/** What an append settles to: the result, or the refusal's code. */
function settle(promise: Promise<AppendResult>): Promise<AppendResult | string> {
  return promise.then(
    (result) => result,
    (error: { code?: string }) => error.code ?? String(error),
  );
}

/**
 * Appends a throwaway identity: it is committed alone, and the writes appended synchronously right
 * after it wait and share the next batch.
 */
function blocker(record: IdentityRecord): Promise<AppendResult> {
  return writer.append(identityWrite(record, 'genesis'));
}

describe('an admin’s rotation and a group record by that admin in one batch', () => {
  let admin: { keys: IdentityKeys; head: IdentityRecord; signing: SigningKeyPair };
  let group: GroupRecord;

  /** The admin's next rotation record (not yet accepted) and its new key. */
  async function rotation() {
    const signing = generateSigningKeyPair();
    const record = await createSuccessorRecord({ previous: admin.head, signingKey: signing, signer: admin.keys.rotation });
    return { signing, record };
  }
  const update = (signingKey: SigningKeyPair, name: string) =>
    createGroupUpdate({ previous: group, name, signer: { userId: admin.head.userId, signingKey } });

  beforeAll(async () => {
    const keys = generateIdentityKeys();
    const genesis = await createIdentityRecord(keys);
    await writer.append(identityWrite(genesis, 'genesis'));
    admin = { keys, head: genesis, signing: keys.signing };
    group = await createGroupGenesis({
      name: 'Batch',
      members: [groupMember({ userId: genesis.userId, publicKey: keys.signing.publicKey, publicBoxKey: keys.box.publicKey }, 'founder')],
      signer: { userId: genesis.userId, signingKey: keys.signing },
    });
    await writer.append(groupWrite(group, 'genesis'));
  }, 120_000);

  it('a group record after the rotation needs the new key, and gets it within the batch', async () => {
    const { signing, record } = await rotation();
    const withNew = await update(signing, 'after rotation, new key');
    const first = blocker(await createIdentityRecord(generateIdentityKeys()));
    const [rotated, grouped] = await Promise.all([settle(writer.append(identityWrite(record, 'successor'))), settle(writer.append(groupWrite(withNew, 'successor')))]);
    await first;
    expectWith(typeof rotated, String(rotated)).toBe('object');
    expectWith(typeof grouped, String(grouped)).toBe('object');
    const [r, g] = [rotated as AppendResult, grouped as AppendResult];
    expect(g.proof.size).toBe(r.proof.size); // one batch: one checkpoint
    expect(g.index).toBe(r.index + 1);
    admin = { ...admin, head: record, signing };
    group = withNew;
  });

  it('a group record after the rotation signed with the old key is refused, though the stored head still has it', async () => {
    const oldKey = admin.signing;
    const { signing, record } = await rotation();
    const withOld = await update(oldKey, 'after rotation, old key');
    const first = blocker(await createIdentityRecord(generateIdentityKeys()));
    const [rotated, grouped] = await Promise.all([settle(writer.append(identityWrite(record, 'successor'))), settle(writer.append(groupWrite(withOld, 'successor')))]);
    await first;
    expectWith(typeof rotated, String(rotated)).toBe('object');
    expect(grouped).toBe('UNAUTHORIZED_SIGNER');
    admin = { ...admin, head: record, signing };
  });

  it('a group record queued before the rotation is judged with the key live before it', async () => {
    const oldKey = admin.signing;
    const { signing, record } = await rotation();
    const withOld = await update(oldKey, 'before rotation, old key');
    const first = blocker(await createIdentityRecord(generateIdentityKeys()));
    const [grouped, rotated] = await Promise.all([settle(writer.append(groupWrite(withOld, 'successor'))), settle(writer.append(identityWrite(record, 'successor')))]);
    await first;
    const [g, r] = [grouped as AppendResult, rotated as AppendResult];
    expectWith(typeof g, String(grouped)).toBe('object');
    expect(r.proof.size).toBe(g.proof.size);
    expect(r.index).toBe(g.index + 1);
    admin = { ...admin, head: record, signing };
    group = withOld;
  });

  it('verify-log replays the same decisions', async () => {
    const report = await auditLog(database.db, key);
    expect(report.problems).toEqual([]);
  });
});
