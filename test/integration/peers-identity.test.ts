// A Peers identity — a userId made at random and tweetnacl's 64-byte secret key — published as a
// genesis, then read back through the anchor document and the SDK (DESIGN.md §10.3).
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toBase64, toBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { resolveAnchors } from '../../src/sdk/anchors.js';
import { RegistryClient } from '../../src/sdk/client.js';
import { RegistryError } from '../../src/sdk/errors.js';
import { createIdentityRecord, generateIdentityKeys } from '../../src/sdk/identity-keys.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { generatePeersIdentityKeys, peersIdentityFromSecretKey, publishPeersIdentity } from '../../src/sdk/peers-identity.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { api } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let open: TestRegistry; // USER_IDS=any: admits existing Peers ids
let strict: TestRegistry; // the default policy
const clientOf = async (registry: TestRegistry) => new RegistryClient({ url: registry.url, vkey: (await api(registry.url).get('/v1/registry')).body.vkey });

beforeAll(async () => {
  // One after another (see id-squatting.test.ts): starts that queue for the embedded database can time out.
  open = await startTestRegistry({ env: { USER_IDS: 'any' } });
  strict = await startTestRegistry();
}, 120_000);
afterAll(async () => {
  await open?.close();
  await strict?.close();
}, 120_000);

describe('importing a Peers identity', () => {
  // As a Peers host keeps it: a random 25-character id and encodeBase64(secretKey).
  const peers = nacl.sign.keyPair();
  const userId = newPeersId();
  const storedSecret = toBase64(peers.secretKey);
  const peersPublicKey = toBase64Url(peers.publicKey);

  it('is refused by a registry that admits only self-certifying ids: 422 ID_NOT_BOUND', async () => {
    const registry = await clientOf(strict);
    const error = await publishPeersIdentity(registry, peersIdentityFromSecretKey(storedSecret, userId)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(422);
    expect((error as RegistryError).code).toBe('ID_NOT_BOUND');
  });

  it('is published to a registry with USER_IDS=any, and reads back through the anchor document and the SDK', async () => {
    const registry = await clientOf(open);
    const identity = peersIdentityFromSecretKey(storedSecret, userId);
    const { record, receipt } = await publishPeersIdentity(registry, identity, { name: 'Peers user' });
    expect(record.userId).toBe(userId);

    // The anchor document: the Peers key, base64url, issued when the genesis was accepted.
    const document = await api(open.url).get(`/peers/v1/${userId}.json`);
    expect(document.status).toBe(200);
    expect(document.headers.get('cache-control')).toBe('public, max-age=60');
    expect(document.body).toMatchObject({ version: 1, userId, keys: [{ publicKey: peersPublicKey, issuedAt: receipt.acceptedAt }], updatedAt: receipt.acceptedAt });

    // The verified lookup: the same keys, the box key the one a Peers host derives, the id unbound.
    const found = await registry.lookup(userId);
    expect(found.publicKey).toBe(peersPublicKey);
    expect(found.publicBoxKey).toBe(identity.box.publicKey);
    expect(found.boxKeyBinding).toBe('derived');
    expect(found.idBinding).toBe('unbound');

    // The Peers rule over both: the registry (unbound ids allowed) and its document confirm the
    // key pair a Peers host would present.
    const presented = { publicKey: peersPublicKey, publicBoxKey: identity.box.publicKey };
    const anchors = [registry, `${open.url}/peers/v1/${userId}.json`];
    const resolved = await resolveAnchors(userId, presented, anchors, { allowHttp: true, allowUnboundIds: true });
    expect(resolved.answers.map((a) => [a.kind, a.answer, a.reason])).toEqual([
      ['registry', 'confirm', 'LISTED'],
      ['document', 'confirm', 'LISTED'],
    ]);
    expect(resolved.decision).toBe('accepted');
    // Without allowUnboundIds the registry's word on an unbound id does not count either way.
    const cautious = await resolveAnchors(userId, presented, [registry], { allowHttp: true });
    expect(cautious.answers[0]).toMatchObject({ answer: 'abstain', reason: 'UNBOUND_ID' });
    expect(cautious.decision).toBe('pending');
  });

  it('the Peers key signs what follows: a rotation to a new Peers key keeps the box key derived', async () => {
    const registry = await clientOf(open);
    const peers2 = nacl.sign.keyPair();
    const userId2 = newPeersId();
    const identity = peersIdentityFromSecretKey(peers2.secretKey, userId2);
    const recovery = generateSigningKeyPair();
    const { record } = await publishPeersIdentity(registry, identity, { recoveryKey: recovery });
    const next = peersIdentityFromSecretKey(nacl.sign.keyPair().secretKey, userId2);
    const rotation = await createSuccessorRecord({ previous: record, signingKey: next.signing, boxKey: next.box, rotationKeys: [recovery.publicKey, next.signing.publicKey], signer: identity.signing });
    await registry.submit(rotation);
    const found = await registry.lookup(userId2);
    expect(found.publicKey).toBe(next.signing.publicKey);
    expect(found.boxKeyBinding).toBe('derived');
    expect((await api(open.url).get(`/peers/v1/${userId2}.json`)).body.keys.map((k: { publicKey: string }) => k.publicKey)).toEqual([next.signing.publicKey]);
  });
});

describe('new identities', () => {
  it('with Peers-derived box keys are self-certifying and report the box key derived; the usual ones independent', async () => {
    const registry = await clientOf(strict);
    const peersKeys = generatePeersIdentityKeys();
    const peersStyle = await createIdentityRecord(peersKeys);
    await registry.register(peersStyle);
    expect(await registry.lookup(peersStyle.userId)).toMatchObject({ idBinding: 'self-certifying', boxKeyBinding: 'derived' });

    const usual = await createIdentityRecord(generateIdentityKeys());
    await registry.register(usual);
    expect(await registry.lookup(usual.userId)).toMatchObject({ idBinding: 'self-certifying', boxKeyBinding: 'independent' });
  });
});
