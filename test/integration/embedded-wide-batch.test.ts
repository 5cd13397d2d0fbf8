// A log batch whose statements together have more than 100 parameters, on the embedded database,
// where a batch's statements run as session functions: a PL/pgSQL function takes at most 100
// arguments (SQLSTATE 54023). Group member rows are inserted in slices of 2,000 rows, five
// parameters each, so a batch of many large groups passes that limit — it failed every time.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { groupKind, identityKind, Write } from '../../src/ledger/index.js';
import { MAX_GROUP_MEMBERS, type GroupMember } from '../../src/protocol/group.js';
import { createGroupGenesis, groupMember } from '../../src/sdk/group-records.js';
import { createIdentityRecord, generateIdentityKeys } from '../../src/sdk/identity-keys.js';
import type { LogWriter } from '../../src/server/log/log-writer.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startedLogWriter } from '../helpers/log-writer.js';

let database: TestDatabase;
let writer: LogWriter;
const key = logKeyFromSeed('test.example/peerkeys', new Uint8Array(randomBytes(32)));

beforeAll(async () => {
  database = await openTestDatabase({ embedded: true });
  writer = await startedLogWriter(database.db, key);
}, 120_000);
afterAll(async () => {
  await writer?.drain();
  await database?.close();
}, 120_000);

/** A Peers id no identity here has: members need not be registered (group-rules.ts). */
const someId = () => Array.from(randomBytes(25), (b) => '0123456789abcdefghijklmnopqrstuvwxyz'[b % 36]).join('');

it('commits a batch of groups whose member rows take more than 100 parameters', async () => {
  const keys = generateIdentityKeys();
  const founder = await createIdentityRecord(keys);
  await writer.append(new Write(identityKind, founder, 'genesis'));
  const others: GroupMember[] = Array.from({ length: MAX_GROUP_MEMBERS - 1 }, () =>
    groupMember({ userId: someId(), publicKey: keys.signing.publicKey, publicBoxKey: keys.box.publicKey }, 'reader'),
  );
  const members = [groupMember({ userId: founder.userId, publicKey: keys.signing.publicKey, publicBoxKey: keys.box.publicKey }, 'founder'), ...others];
  // 64 groups of 500: 32,000 member rows, 16 slices of 5 parameters; with the log's (10) and the groups' (12) statements, 102.
  const groups = await Promise.all(
    Array.from({ length: 64 }, (_, i) => createGroupGenesis({ name: `Wide ${i}`, members, signer: { userId: founder.userId, signingKey: keys.signing } })),
  );
  // Appended while a first write is committed alone: the groups wait for, and share, the next batch.
  const first = writer.append(new Write(identityKind, await createIdentityRecord(generateIdentityKeys()), 'genesis'));
  const appended = await Promise.all(groups.map((group) => writer.append(new Write(groupKind, group, 'genesis'))));
  await first;
  expect(new Set(appended.map((a) => a.proof.size)).size).toBe(1);
  const [count] = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM group_members');
  expect(count?.n).toBe(64 * MAX_GROUP_MEMBERS);
}, 120_000);
