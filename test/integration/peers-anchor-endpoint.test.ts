// GET /peers/v1/{userId}.json: peerkeys as a Peers https anchor (DESIGN.md §10), against the
// contract in openapi.yaml and the Peers bounds (64 KiB, no redirect, Cache-Control max-age=60,
// the per-address read budget).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newPeersId } from '../../src/protocol/ids.js';
import { canonicalJson } from '../../src/protocol/json.js';
import { ANCHOR_DOCUMENT_MAX_BYTES, listsKey, readAnchorDocument } from '../../src/protocol/peers-anchor.js';
import { generateSigningKeyPair } from '../../src/sdk/keys.js';
import { api, request } from '../helpers/http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { Contract } from '../helpers/openapi-contract.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PUBLIC_URL = 'https://keys.example.org';
const contract = new Contract();
const documentSchema = () => contract.response('get', '/peers/v1/{userId}.json', 200)!['content']['application/json'].schema;

let registry: TestRegistry;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  registry = await startTestRegistry({ env: { PUBLIC_URL } });
  client = api(registry.url);
}, 120_000);
afterAll(() => registry?.close(), 120_000);

async function accept(identity: TestIdentity, record = identity.head): Promise<string> {
  const reply = record.seq === 0 ? await client.post('/v1/users', record) : await client.post(`/v1/users/${identity.userId}`, record);
  expect(reply.status).toBe(record.seq === 0 ? 201 : 200);
  if (record !== identity.head) identity.records.push(record);
  return reply.body.acceptedAt as string;
}

describe('the anchor document of an identity', () => {
  let alice: TestIdentity;
  let genesisAt: string;

  beforeAll(async () => {
    alice = await newIdentity({ name: 'Alice' });
    genesisAt = await accept(alice);
  }, 120_000);

  it('lists the head’s signing key, issued when the registry accepted the genesis, as the contract says', async () => {
    const reply = await client.get(`/peers/v1/${alice.userId}.json`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reply.headers.get('cache-control')).toBe('public, max-age=60');
    expect(reply.headers.get('etag')).not.toBeNull();
    expect(reply.body).toEqual({
      version: 1,
      userId: alice.userId,
      keys: [{ publicKey: alice.signing.publicKey, issuedAt: genesisAt }],
      anchors: [`${PUBLIC_URL}/peers/v1/${alice.userId}.json`],
      updatedAt: genesisAt,
    });
    expect(contract.errors(documentSchema(), reply.body)).toEqual([]);
    expect(reply.text).toBe(canonicalJson(reply.body));
    expect(new TextEncoder().encode(reply.text).length).toBeLessThan(ANCHOR_DOCUMENT_MAX_BYTES);
    // What a reader makes of it (the SDK's reader, as resolveAnchors uses it).
    const read = readAnchorDocument(reply.body);
    expect(read).not.toBeNull();
    expect(listsKey(read!, alice.signing.publicKey)).toBe(true);
    expect(listsKey(read!, generateSigningKeyPair().publicKey)).toBe(false);
  });

  it('keeps issuedAt across a record that leaves the key alone, and moves updatedAt', async () => {
    const renamedAt = await accept(alice, await nextRecord(alice, { name: 'Alice B.' }));
    expect(renamedAt > genesisAt).toBe(true);
    const reply = await client.get(`/peers/v1/${alice.userId}.json`);
    expect(reply.body.keys).toEqual([{ publicKey: alice.signing.publicKey, issuedAt: genesisAt }]);
    expect(reply.body.updatedAt).toBe(renamedAt);
  });

  it('names the new key after a rotation, issued when the rotation was accepted', async () => {
    const signing = generateSigningKeyPair();
    const rotatedAt = await accept(alice, await nextRecord(alice, { signingKey: signing }));
    alice.signing = signing;
    const reply = await client.get(`/peers/v1/${alice.userId}.json`);
    expect(reply.body.keys).toEqual([{ publicKey: signing.publicKey, issuedAt: rotatedAt }]);
    expect(reply.body.updatedAt).toBe(rotatedAt);
    expect(contract.errors(documentSchema(), reply.body)).toEqual([]);
  });

  it('lists no key once the identity is revoked', async () => {
    const revokedAt = await accept(alice, await nextRecord(alice, { status: 'revoked' }));
    const reply = await client.get(`/peers/v1/${alice.userId}.json`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ version: 1, userId: alice.userId, keys: [], anchors: [`${PUBLIC_URL}/peers/v1/${alice.userId}.json`], updatedAt: revokedAt });
    expect(contract.errors(documentSchema(), reply.body)).toEqual([]);
  });
});

describe('answers a Peers host acts on', () => {
  it('404 NOT_FOUND (a veto) for an id nobody registered, 400 MALFORMED for a path that is no Peers id', async () => {
    const unknown = await client.get(`/peers/v1/${newPeersId()}.json`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect(readAnchorDocument(unknown.body)).toBeNull();
    const malformed = await client.get('/peers/v1/NOT-A-PEERS-ID.json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('MALFORMED');
  });

  it('never redirects: not for the document, not for a trailing slash, not for a path without .json', async () => {
    const bob = await newIdentity();
    await accept(bob);
    for (const path of [`/peers/v1/${bob.userId}.json`, `/peers/v1/${bob.userId}.json/`, `/peers/v1/${bob.userId}`]) {
      const response = await fetch(registry.url + path, { redirect: 'manual' });
      await response.arrayBuffer();
      expect(response.status < 300 || response.status >= 400).toBe(true);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('is a read: it spends the per-address read budget shared with lookups, then answers 429 RATE_LIMITED', async () => {
    const limited = await startTestRegistry({ env: { RATE_LIMITS: 'on', RATE_LIMIT_IP_READS: '3/1m' } });
    try {
      const carol = await newIdentity();
      expect((await request(limited.url, 'POST', '/v1/users', carol.head)).status).toBe(201);
      const first = await request(limited.url, 'GET', `/peers/v1/${carol.userId}.json`);
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit')).toMatch(/^"ip-reads-3-in-60s"; r=2; t=\d+$/);
      expect((await request(limited.url, 'GET', `/v1/users/${carol.userId}`)).status).toBe(200);
      expect((await request(limited.url, 'GET', `/peers/v1/${carol.userId}.json`)).status).toBe(200);
      const refused = await request(limited.url, 'GET', `/peers/v1/${carol.userId}.json`);
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});
