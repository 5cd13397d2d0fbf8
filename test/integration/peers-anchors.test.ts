// The Peers decision rule (DESIGN.md §10.2): resolveAnchors over a peerkeys registry, a static
// anchor document on a plain HTTP server, and an anchor that never answers — each anchor's
// confirm / veto / abstain, and the decision for every combination of the Peers table.
import { gzipSync } from 'node:zlib';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { anchorDecision, askDocument, resolveAnchors, type AnchorVerdict, type ResolveAnchorsOptions } from '../../src/sdk/anchors.js';
import { RegistryClient } from '../../src/sdk/client.js';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../src/sdk/keys.js';
import { derivedBoxKey } from '../../src/protocol/box-key.js';
import { DEAD_URL, json, startAnchorServer, type AnchorServer } from '../helpers/anchor-server.js';
import { api } from '../helpers/http.js';
import { newIdentity, nextRecord, type TestIdentity } from '../helpers/identities.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';

/** Short bound for the anchor that never answers: a bound, not a sleep. */
// Long enough for a warm registry lookup on a busy machine (400 ms was not, at load 20), short
// enough that the hanging anchor's nine timeouts stay cheap.
const TIMEOUT_MS = 1_000;
const options: ResolveAnchorsOptions = { allowHttp: true, timeoutMs: TIMEOUT_MS };
// Where every anchor answers, a bound that a busy machine cannot reach: 400 ms turned a live
// registry's slow answer into TIMEOUT under load. It costs nothing, since no anchor hangs there.
const answering: ResolveAnchorsOptions = { allowHttp: true, timeoutMs: 30_000 };

let registry: TestRegistry;
let vkey: string;
let live: RegistryClient;
let dead: RegistryClient;
let documents: AnchorServer;
let alice: TestIdentity;
let oldKey: string;

const client = () => new RegistryClient({ url: registry.url, vkey });

beforeAll(async () => {
  registry = await startTestRegistry();
  vkey = (await api(registry.url).get('/v1/registry')).body.vkey;
  live = client();
  dead = new RegistryClient({ url: DEAD_URL, vkey });
  documents = await startAnchorServer();
  documents.route('/hang.json', () => {}); // accepts the request, never answers

  // Alice, rotated once: her old key is no longer current in the registry (it vetoes it).
  alice = await newIdentity({ name: 'Alice' });
  await live.register(alice.head);
  oldKey = alice.signing.publicKey;
  const signing = generateSigningKeyPair();
  const rotation = await nextRecord(alice, { signingKey: signing });
  await live.submit(rotation);
  alice.records.push(rotation);
  alice.signing = signing;
  await live.lookup(alice.userId); // the client's first verified answer (and its code) warm, outside the timed anchors
}, 120_000);
afterAll(async () => {
  await documents?.close();
  await registry?.close();
}, 120_000);

function anchorDocument(userId: string, keys: string[]) {
  return { version: 1, userId, keys: keys.map((publicKey) => ({ publicKey, issuedAt: '2026-11-24T21:00:00.000Z' })), anchors: [], updatedAt: '2026-11-24T21:00:00.000Z' };
}

describe('three anchors: a registry, a static document, one that times out', () => {
  const verdicts: AnchorVerdict[] = ['confirm', 'veto', 'abstain'];
  const combinations = verdicts.flatMap((fromRegistry) => verdicts.map((fromDocument) => ({ fromRegistry, fromDocument })));

  /** The Peers table: any veto refuses; else a confirm accepts; else pending. */
  function expected(answers: AnchorVerdict[]): string {
    const vetoes = answers.filter((a) => a === 'veto').length;
    const confirms = answers.filter((a) => a === 'confirm').length;
    return vetoes >= 1 ? 'refused' : confirms >= 1 ? 'accepted' : 'pending';
  }

  type Combination = (typeof combinations)[number];
  let resolutions: Map<string, Promise<Awaited<ReturnType<typeof resolveAnchors>>>> | null = null;

  /**
   * Every combination waits out the hanging anchor's bound, so the first test starts all nine at
   * once (one wait instead of nine) and each test checks its own. Nine lookups at once load the
   * registry more than one, hence a longer bound than the others' (still one wait in all).
   */
  function resolution(combination: Combination) {
    resolutions ??= new Map(
      combinations.map(({ fromRegistry, fromDocument }) => {
        // The registry confirms Alice's current key and vetoes her old one; unreachable, it abstains.
        const presented = fromRegistry === 'veto' ? oldKey : alice.signing.publicKey;
        const path = `/${fromRegistry}-${fromDocument}.json`;
        if (fromDocument === 'confirm') documents.route(path, json(anchorDocument(alice.userId, [presented])));
        if (fromDocument === 'veto') documents.route(path, json(anchorDocument(alice.userId, [generateSigningKeyPair().publicKey])));
        if (fromDocument === 'abstain') documents.route(path, json({ error: 'down' }, 503));
        const anchors = [fromRegistry === 'abstain' ? dead : live, documents.url + path, `${documents.url}/hang.json`];
        const pending = resolveAnchors(alice.userId, presented, anchors, { ...options, timeoutMs: 3 * TIMEOUT_MS });
        pending.catch(() => {}); // awaited (and reported) by its own test
        return [`${fromRegistry}-${fromDocument}`, pending] as const;
      }),
    );
    return resolutions.get(`${combination.fromRegistry}-${combination.fromDocument}`)!;
  }

  it.each(combinations)('registry $fromRegistry, document $fromDocument, the third abstains', async (combination) => {
    const { fromRegistry, fromDocument } = combination;
    const answered = await resolution(combination);

    expect(answered.answers.map((a) => a.answer)).toEqual([fromRegistry, fromDocument, 'abstain']);
    expect(answered.answers[2]!.reason).toBe('TIMEOUT');
    expect(answered.answers.map((a) => a.kind)).toEqual(['registry', 'document', 'document']);
    expect(answered.decision).toBe(expected([fromRegistry, fromDocument, 'abstain']));
  });

  it('no anchors at all, or only the silent one: pending (a different key is never confirmed)', async () => {
    expect((await resolveAnchors(alice.userId, alice.signing.publicKey, [], options)).decision).toBe('pending');
    const silent = await resolveAnchors(alice.userId, alice.signing.publicKey, [`${documents.url}/hang.json`], options);
    expect(silent.decision).toBe('pending');
    expect(silent.answers[0]!.reason).toBe('TIMEOUT');
  });

  it('the registry’s own anchor document, read as a plain https anchor, answers as its verified lookup does', async () => {
    const url = `${registry.url}/peers/v1/${alice.userId}.json`;
    const current = await resolveAnchors(alice.userId, alice.signing.publicKey, [live, url], answering);
    expect(current.answers.map((a) => [a.answer, a.reason])).toEqual([
      ['confirm', 'LISTED'],
      ['confirm', 'LISTED'],
    ]);
    expect(current.answers[1]!.maxAgeSeconds).toBe(60);
    expect(current.decision).toBe('accepted');
    const old = await resolveAnchors(alice.userId, oldKey, [live, url], answering);
    expect(old.answers.map((a) => [a.answer, a.reason])).toEqual([
      ['veto', 'KEY_NOT_LISTED'],
      ['veto', 'KEY_NOT_LISTED'],
    ]);
    expect(old.decision).toBe('refused');
  });

  it('the rule itself, over any counts', () => {
    const of = (c: number, v: number, a: number) => anchorDecision([...Array(c).fill({ answer: 'confirm' }), ...Array(v).fill({ answer: 'veto' }), ...Array(a).fill({ answer: 'abstain' })]);
    for (let c = 0; c <= 2; c++) for (let v = 0; v <= 2; v++) for (let a = 0; a <= 2; a++) expect(of(c, v, a)).toBe(v >= 1 ? 'refused' : c >= 1 ? 'accepted' : 'pending');
  });
});

describe('a registry anchor', () => {
  it('vetoes an id it does not know (404) and a revoked identity; confirms only the current key pair', async () => {
    const unknown = await resolveAnchors(newPeersId(), alice.signing.publicKey, [live], answering);
    expect(unknown.answers[0]).toMatchObject({ answer: 'veto', reason: 'NOT_FOUND' });

    const bob = await newIdentity();
    await live.register(bob.head);
    const withBox = await resolveAnchors(bob.userId, { publicKey: bob.signing.publicKey, publicBoxKey: bob.box.publicKey }, [live], answering);
    expect(withBox.answers[0]).toMatchObject({ answer: 'confirm', reason: 'LISTED' });
    const otherBox = await resolveAnchors(bob.userId, { publicKey: bob.signing.publicKey, publicBoxKey: generateBoxKeyPair().publicKey }, [live], answering);
    expect(otherBox.answers[0]).toMatchObject({ answer: 'veto', reason: 'BOX_KEY_MISMATCH' });

    const revocation = await nextRecord(bob, { status: 'revoked' });
    await live.submit(revocation);
    const revoked = await resolveAnchors(bob.userId, bob.signing.publicKey, [live], answering);
    expect(revoked.answers[0]).toMatchObject({ answer: 'veto', reason: 'REVOKED' });
  });

  describe('that lies', () => {
    let proxy: TamperingProxy;
    beforeAll(async () => {
      proxy = await startTamperingProxy(registry.url);
    }, 120_000);
    afterAll(() => proxy.close(), 120_000);

    it('vetoes (UNVERIFIABLE) when its answer fails verification: a forged head key cannot confirm', async () => {
      const forged = generateSigningKeyPair().publicKey;
      proxy.tamper = ({ path, body }) => (path === `/v1/users/${alice.userId}` ? { ...(body as object), publicKey: forged } : body);
      const lying = new RegistryClient({ url: proxy.url, vkey });
      const resolution = await resolveAnchors(alice.userId, forged, [lying], answering);
      expect(resolution.answers[0]).toMatchObject({ answer: 'veto', reason: 'UNVERIFIABLE' });
      expect(resolution.decision).toBe('refused');
    });

    it('abstains when it answers 408, 429 or a 5xx', async () => {
      const down = await startAnchorServer();
      try {
        for (const status of [408, 429, 500, 503]) {
          down.route(`/v1/users/${alice.userId}`, json({ type: 'about:blank', title: 'down', status, code: 'UNAVAILABLE' }, status));
          const resolution = await resolveAnchors(alice.userId, alice.signing.publicKey, [new RegistryClient({ url: down.url, vkey })], answering);
          expect(resolution.answers[0]).toMatchObject({ answer: 'abstain', reason: 'UNAVAILABLE' });
        }
      } finally {
        await down.close();
      }
    });
  });
});

describe('a document anchor, answer by answer (the Peers table, and the cases it leaves open)', () => {
  let server: AnchorServer;
  beforeAll(async () => {
    server = await startAnchorServer();
  }, 120_000);
  afterAll(() => server.close(), 120_000);

  const key = () => alice.signing.publicKey;
  const ask = async (handler: Parameters<AnchorServer['route']>[1], presented: Parameters<typeof askDocument>[2] = { publicKey: key() }, extra: ResolveAnchorsOptions = {}) => {
    const path = `/${Math.random().toString(36).slice(2)}.json`;
    server.route(path, handler);
    return askDocument(server.url + path, alice.userId, presented, { ...options, ...extra });
  };

  it('confirm: the document lists the key (also padded, also among others, also inside a Peers envelope)', async () => {
    const other = generateSigningKeyPair().publicKey;
    expect(await ask(json(anchorDocument(alice.userId, [key()])))).toMatchObject({ answer: 'confirm', reason: 'LISTED', status: 200 });
    expect(await ask(json(anchorDocument(alice.userId, [other, `${key()}=`])))).toMatchObject({ answer: 'confirm', reason: 'LISTED' });
    const envelope = { contents: anchorDocument(alice.userId, [key()]), signature: toBase64Url(new Uint8Array(64)), publicKey: other };
    expect(await ask(json(envelope))).toMatchObject({ answer: 'confirm', reason: 'LISTED' });
    // Unknown fields are ignored; the five fields are what counts.
    expect(await ask(json({ ...anchorDocument(alice.userId, [key()]), future: { x: 1 } }))).toMatchObject({ answer: 'confirm' });
  });

  it('veto: 404, the wrong user, a document without the key, a revoked one (no keys), a status Peers does not list', async () => {
    expect(await ask((_q, res) => res.writeHead(404).end())).toMatchObject({ answer: 'veto', reason: 'NOT_FOUND', status: 404 });
    expect(await ask(json(anchorDocument(newPeersId(), [key()])))).toMatchObject({ answer: 'veto', reason: 'WRONG_USER' });
    expect(await ask(json(anchorDocument(alice.userId, [generateSigningKeyPair().publicKey])))).toMatchObject({ answer: 'veto', reason: 'KEY_NOT_LISTED' });
    expect(await ask(json(anchorDocument(alice.userId, [])))).toMatchObject({ answer: 'veto', reason: 'REVOKED' });
    for (const status of [401, 403, 410, 204]) expect(await ask((_q, res) => res.writeHead(status).end())).toMatchObject({ answer: 'veto', reason: 'UNEXPECTED_STATUS', status });
  });

  it('veto: a body that is not a document', async () => {
    const doc = anchorDocument(alice.userId, [key()]);
    const bodies = [
      'not json',
      '[]',
      JSON.stringify({ ...doc, version: 2 }),
      JSON.stringify({ ...doc, keys: [{ publicKey: key() }] }), // no issuedAt
      JSON.stringify({ ...doc, anchors: [1] }),
      JSON.stringify({ version: 1, userId: alice.userId, keys: doc.keys, anchors: [] }), // no updatedAt
      `{"version":1,"userId":"${alice.userId}","userId":"${newPeersId()}","keys":${JSON.stringify(doc.keys)},"anchors":[],"updatedAt":"x"}`, // duplicate key
    ];
    for (const body of bodies) expect(await ask(json(body))).toMatchObject({ answer: 'veto', reason: 'NOT_A_DOCUMENT' });
    expect(await ask((_q, res) => res.writeHead(200).end(Buffer.from([0xff, 0xfe, 0x7b])))).toMatchObject({ answer: 'veto', reason: 'NOT_A_DOCUMENT' });
  });

  it('veto: a body over 64 KiB, whether declared or streamed without end; reading stops at the bound', async () => {
    const padded = JSON.stringify({ ...anchorDocument(alice.userId, [key()]), padding: 'x'.repeat(64 * 1024) });
    expect(await ask(json(padded))).toMatchObject({ answer: 'veto', reason: 'TOO_LARGE' });
    // Exactly at the bound is still read.
    const base = JSON.stringify({ ...anchorDocument(alice.userId, [key()]), padding: '' });
    const exact = JSON.stringify({ ...anchorDocument(alice.userId, [key()]), padding: 'x'.repeat(64 * 1024 - base.length) });
    expect(exact.length).toBe(64 * 1024);
    expect(await ask(json(exact))).toMatchObject({ answer: 'confirm' });

    let sent = 0;
    let closed = false;
    const endless = await ask(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }); // chunked, no Content-Length
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        const pump = () => {
          while (!closed && res.write(chunk)) sent += chunk.length;
          if (!closed) res.once('drain', pump);
        };
        res.on('close', () => (closed = true));
        pump();
      },
      { publicKey: key() },
      { timeoutMs: 10_000 },
    );
    expect(endless).toMatchObject({ answer: 'veto', reason: 'TOO_LARGE' });
    // A gzip bomb counts its decoded bytes.
    const bomb = gzipSync(Buffer.from(padded));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await ask((_q, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb))).toMatchObject({ answer: 'veto', reason: 'TOO_LARGE' });
  }, 20_000);

  it('abstain: a redirect (never followed, even to a document that would confirm), 408, 429, 5xx', async () => {
    const target = `/target-${Math.random().toString(36).slice(2)}.json`;
    server.route(target, json(anchorDocument(alice.userId, [key()])));
    for (const status of [301, 302, 303, 307, 308]) {
      expect(await ask((_q, res) => res.writeHead(status, { location: server.url + target }).end())).toMatchObject({ answer: 'abstain', reason: 'REDIRECT', status });
    }
    expect(server.hits.get(target)).toBeUndefined();
    for (const status of [408, 429, 500, 502, 503]) expect(await ask((_q, res) => res.writeHead(status).end())).toMatchObject({ answer: 'abstain', reason: 'UNAVAILABLE', status });
  });

  it('abstain: a network error, no answer in time, a body that drips in slower than the bound', async () => {
    expect(await askDocument(`${DEAD_URL}/x.json`, alice.userId, { publicKey: key() }, options)).toMatchObject({ answer: 'abstain', reason: 'NETWORK' });
    expect(await ask(() => {})).toMatchObject({ answer: 'abstain', reason: 'TIMEOUT' });
    const drip = await ask((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"version":1,');
      // ...and nothing more: the headers came in time, the body never completes.
    });
    expect(drip).toMatchObject({ answer: 'abstain', reason: 'TIMEOUT' });
  });

  it('abstain: an anchor that is not https (unless http is allowed), or no URL', async () => {
    const path = `/plain-${Math.random().toString(36).slice(2)}.json`;
    server.route(path, json(anchorDocument(alice.userId, [key()])));
    expect(await askDocument(server.url + path, alice.userId, { publicKey: key() }, { timeoutMs: TIMEOUT_MS })).toMatchObject({ answer: 'abstain', reason: 'UNUSABLE_ANCHOR' });
    expect(server.hits.get(path)).toBeUndefined();
    for (const url of ['not a url', 'ftp://example.org/a.json', 'file:///etc/passwd']) {
      expect(await askDocument(url, alice.userId, { publicKey: key() }, options)).toMatchObject({ answer: 'abstain', reason: 'UNUSABLE_ANCHOR' });
    }
  });

  it('a box key presented with the signing key must be the derived one: a document lists signing keys only', async () => {
    const peers = nacl.sign.keyPair();
    const publicKey = toBase64Url(peers.publicKey);
    const doc = json(anchorDocument(alice.userId, [publicKey]));
    expect(await ask(doc, { publicKey, publicBoxKey: derivedBoxKey(publicKey)! })).toMatchObject({ answer: 'confirm' });
    expect(await ask(doc, { publicKey, publicBoxKey: generateBoxKeyPair().publicKey })).toMatchObject({ answer: 'veto', reason: 'BOX_KEY_MISMATCH' });
  });
});
