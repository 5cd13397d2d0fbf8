// Downstream verifiers under the Ed25519 rule (DESIGN.md §1): a log where a mixed-order key and a
// proof with a small-order R were accepted anyway — as the registry did before the rule, or as a
// dishonest registry would — is refused by every verifier that reads it: the SDK's lookups with
// node:crypto, WebCrypto and tweetnacl, the server's verify-log, `peerkeys log verify`,
// `peerkeys lookup`, and a mirror following it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { RegistryClient } from '../../src/sdk/client.js';
import { webCryptoVerifier } from '../../src/sdk/crypto.js';
import { tweetnaclVerify } from '../../src/sdk/tweetnacl-verify.js';
import { auditLog } from '../../src/db/log-audit.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { cleanEnv, peerkeys } from '../helpers/cli.js';
import { expectVerification } from '../helpers/errors.js';
import { constructedSigner, defectiveSignerFor, genesisWith } from '../helpers/forged-records.js';
import { api } from '../helpers/http.js';
import { newIdentity } from '../helpers/identities.js';
import { startTestMirror } from '../helpers/mirror.js';
import { plantIdentityRecord } from '../helpers/planted-log.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

const mixedOrderKey = loadVectors().invalid.cases.find((c) => c.id === 'mixed-order-key')!;

let registry: TestRegistry;
let vkey: string;
let honest: IdentityRecord;
/** A genesis whose publicKey is aB + T8, with a proof node:crypto accepts. */
let mixed: { record: IdentityRecord; index: number };
/** A genesis whose publicKeyProof has R = identity. */
let smallR: { record: IdentityRecord; index: number };
let dir: string;

beforeAll(async () => {
  registry = await startTestRegistry();
  vkey = registry.service.logKey.vkey;
  dir = mkdtempSync(join(tmpdir(), 'peerkeys-planted-'));
  honest = (await newIdentity({ quickKeys: true })).head;
  expect((await api(registry.url).post('/v1/users', honest)).status).toBe(201);

  const mixedRecord = (await genesisWith({ signing: constructedSigner(mixedOrderKey.construction) })).record;
  const smallRRecord = (await genesisWith({ signing: defectiveSignerFor((await newIdentity({ quickKeys: true })).signing, 'small-order-r') })).record;
  // The registry refuses both at its door; they can only be planted.
  expect((await api(registry.url).post('/v1/users', mixedRecord)).body.code).toBe('INVALID_RECORD');
  expect((await api(registry.url).post('/v1/users', smallRRecord)).body.code).toBe('BAD_SIGNATURE');
  mixed = { record: mixedRecord, index: (await plantIdentityRecord(registry, mixedRecord)).index };
  smallR = { record: smallRRecord, index: (await plantIdentityRecord(registry, smallRRecord)).index };
  // Honest writes go on after them.
  expect((await api(registry.url).post('/v1/users', (await newIdentity({ quickKeys: true })).head)).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await registry?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe.each([
  ['node:crypto', nodeVerify],
  ['WebCrypto', webCryptoVerifier(globalThis.crypto.subtle)],
  ['tweetnacl', tweetnaclVerify],
] as const)('the SDK with %s', (_name, verify) => {
  it('verifies the honest identity, and refuses the planted ones: INVALID_RECORD for the key, BAD_SIGNATURE for the proof', async () => {
    const client = new RegistryClient({ url: registry.url, vkey, verify });
    expect((await client.lookup(honest.userId)).publicKey).toBe(honest.publicKey);
    await expectVerification(client.lookup(mixed.record.userId), 'INVALID_RECORD');
    await expectVerification(client.lookup(smallR.record.userId), 'BAD_SIGNATURE');
  });
});

describe('the registry’s own audit and the command-line tool', () => {
  it('verify-log names both planted entries', async () => {
    const report = await auditLog(registry.database.db, registry.service.logKey);
    const indexes = new Set(report.problems.map((p) => p.index));
    expect(indexes.has(mixed.index)).toBe(true);
    expect(indexes.has(smallR.index)).toBe(true);
  });

  it('`peerkeys log verify` fails (exit 1) naming both entries; `peerkeys lookup` refuses the planted identity (exit 1)', async () => {
    const env = cleanEnv({ PEERKEYS_REGISTRY: registry.url, PEERKEYS_VKEY: vkey, XDG_CONFIG_HOME: join(dir, 'config') });
    const verify = await peerkeys(['log', 'verify', '--from-start', '--cursor', 'cursor.json'], { cwd: dir, env });
    expect({ code: verify.code, stderr: verify.stderr }).toMatchObject({ code: 1 });
    expect(verify.stdout).toMatch(new RegExp(`^index ${mixed.index}: `, 'm'));
    expect(verify.stdout).toMatch(new RegExp(`^index ${smallR.index}: .*BAD_SIGNATURE`, 'm'));
    const lookup = await peerkeys(['lookup', mixed.record.userId], { cwd: dir, env });
    expect({ code: lookup.code, stderr: lookup.stderr }).toMatchObject({ code: 1 });
    expect((await peerkeys(['lookup', honest.userId], { cwd: dir, env })).code).toBe(0);
  });
});

describe('a mirror', () => {
  it('stops at the first planted entry, naming it, and is not ready', async () => {
    const mirror = await startTestMirror(registry.url, vkey);
    try {
      const result = await mirror.follower.round();
      expect(result).toMatchObject({ status: 'stopped', reason: 'invalid' });
      expect((result as { message: string }).message).toContain(`log entry ${mixed.index}`);
      expect((await api(mirror.url).get('/readyz')).status).toBe(503);
    } finally {
      await mirror.close();
    }
  });
});
