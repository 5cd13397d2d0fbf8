import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { fromBase64Url, toBase64Url } from '../../src/protocol/encoding.js';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../src/sdk/keys.js';
import { FileStore } from '../../src/sdk/node/file-store.js';
import { ReplayGuard, open, seal, type SealedEnvelope } from '../../src/sdk/sealed.js';
import { VerificationError } from '../../src/sdk/errors.js';

function party(userId: string) {
  const signingKey = generateSigningKeyPair();
  const boxKey = generateBoxKeyPair();
  return { userId, signingKey, boxKey, publicKeys: { userId, publicKey: signingKey.publicKey, publicBoxKey: boxKey.publicKey } };
}

const alice = party('0000000000aliceaaaaaaaaaaa');
const bob = party('0000000000bobbbbbbbbbbbbbb');
const carol = party('0000000000carolccccccccccc');

function expectCode(action: () => unknown, code: string) {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('sealed messages (DESIGN.md §7)', () => {
  it('round-trips any JSON payload', () => {
    const payload = { sdp: 'v=0 offer', candidates: [1, 2, 3], nested: { ok: true, none: null }, text: 'grüße 👋' };
    const envelope = seal(payload, alice, bob.publicKeys);
    expect(envelope).toMatchObject({ type: 'sealed', from: alice.userId, to: bob.userId });
    const opened = open(envelope, bob, alice.publicKeys, { replayGuard: new ReplayGuard() });
    expect(opened.payload).toEqual(payload);
    expect(opened.from).toBe(alice.userId);
  });

  it('refuses a tampered box: BAD_BOX', () => {
    const envelope = seal({ hello: 1 }, alice, bob.publicKeys);
    const box = fromBase64Url(envelope.box)!;
    box[box.length - 1]! ^= 1;
    expectCode(() => open({ ...envelope, box: toBase64Url(box) }, bob, alice.publicKeys, { replayGuard: new ReplayGuard() }), 'BAD_BOX');
  });

  it('refuses a wrong recipient, whether the envelope says so or not', () => {
    const forBob = seal({ secret: 'for bob' }, alice, bob.publicKeys);
    expectCode(() => open(forBob, carol, alice.publicKeys, { replayGuard: new ReplayGuard() }), 'WRONG_RECIPIENT');
    // Readdressed to Carol: the box was made for Bob's key and does not open for her.
    expectCode(() => open({ ...forBob, to: carol.userId }, carol, alice.publicKeys, { replayGuard: new ReplayGuard() }), 'BAD_BOX');
    // Boxed to Bob's key but signed as addressed to Carol: Bob refuses it too.
    const misaddressed = seal({ secret: 'x' }, alice, { ...carol.publicKeys, publicBoxKey: bob.boxKey.publicKey });
    expectCode(() => open({ ...misaddressed, to: bob.userId }, bob, alice.publicKeys, { replayGuard: new ReplayGuard() }), 'WRONG_RECIPIENT');
  });

  it('refuses a message signed by someone other than the looked-up sender: BAD_SIGNATURE', () => {
    const impostor = { ...alice, signingKey: generateSigningKeyPair() };
    const envelope = seal({ hi: 1 }, impostor, bob.publicKeys);
    expectCode(() => open(envelope, bob, alice.publicKeys, { replayGuard: new ReplayGuard() }), 'BAD_SIGNATURE');
  });

  it('refuses a replayed nonce: REPLAYED_MESSAGE', () => {
    const guard = new ReplayGuard();
    const envelope = seal({ n: 1 }, alice, bob.publicKeys);
    open(envelope, bob, alice.publicKeys, { replayGuard: guard });
    expectCode(() => open(envelope, bob, alice.publicKeys, { replayGuard: guard }), 'REPLAYED_MESSAGE');
  });

  it('refuses a stale message, and one from the future: STALE_MESSAGE', () => {
    const now = Date.now();
    const old: SealedEnvelope = seal({ n: 1 }, alice, bob.publicKeys, now - 5 * 60_000 - 1);
    expectCode(() => open(old, bob, alice.publicKeys, { replayGuard: new ReplayGuard(), now }), 'STALE_MESSAGE');
    const future = seal({ n: 1 }, alice, bob.publicKeys, now + 5 * 60_000 + 1);
    expectCode(() => open(future, bob, alice.publicKeys, { replayGuard: new ReplayGuard(), now }), 'STALE_MESSAGE');
    const edge = seal({ n: 1 }, alice, bob.publicKeys, now - 5 * 60_000);
    expect(open(edge, bob, alice.publicKeys, { replayGuard: new ReplayGuard(), now }).payload).toEqual({ n: 1 });
  });
});

describe('FileStore', () => {
  it('keeps values across instances in a private JSON file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'peerkeys-')), 'state', 'client.json');
    new FileStore(path).set('checkpoint:x', '{"size":3}');
    expect(new FileStore(path).get('checkpoint:x')).toBe('{"size":3}');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ 'checkpoint:x': '{"size":3}' });
  });
});

describe('keyFingerprint', () => {
  it('is five groups of four Crockford base32 characters, stable and distinct per key', async () => {
    const { keyFingerprint } = await import('../../src/sdk/fingerprint.js');
    const a = generateSigningKeyPair().publicKey;
    const b = generateSigningKeyPair().publicKey;
    expect(keyFingerprint(a)).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    expect(keyFingerprint(a)).toBe(keyFingerprint(a));
    expect(keyFingerprint(a)).not.toBe(keyFingerprint(b));
    // A fixed key gives a fixed fingerprint (a change here breaks every printed fingerprint).
    expect(keyFingerprint(toBase64Url(new Uint8Array(32)))).toBe('R3PB-HWC3-CAA8-B0Q3-D8QN');
  });
});
