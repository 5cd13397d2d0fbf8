// The Peers trust levels (DESIGN.md §10.5) with their client-side state, on an injected clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { newPeersId } from '../../src/protocol/ids.js';
import { HandshakeError } from '../../src/sdk/handshake/errors.js';
import { clientHandshake, serverHandshake, type HandshakeIdentity } from '../../src/sdk/handshake/handshake.js';
import { TRUST_LEVELS, evaluateTrust, pinnedTrust } from '../../src/sdk/handshake/trust.js';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../src/sdk/keys.js';
import { FileStore } from '../../src/sdk/node/file-store.js';
import { MemoryStore } from '../../src/sdk/store.js';
import { DEVICE_KNOWN_AFTER_MS, TrustBook } from '../../src/sdk/trust-book.js';
import { transportPair } from '../helpers/memory-transport.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-11-24T21:00:00.000Z');

function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function peer(userId = newPeersId()) {
  return { userId, deviceId: newPeersId(), publicKey: generateSigningKeyPair().publicKey, publicBoxKey: generateBoxKeyPair().publicKey };
}

const folder = mkdtempSync(join(tmpdir(), 'trust-book-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }), 120_000);

describe('the levels', () => {
  it('are the Peers numbers, with Malicious below Untrusted', () => {
    expect(TRUST_LEVELS).toEqual({ Malicious: -20, Untrusted: -10, Unknown: 0, NewUser: 10, NewDevice: 20, Known: 30, Trusted: 50, Self: 100 });
  });
});

describe('first sight and device aging', () => {
  it('a new user is NewUser; its device is NewDevice for 7 days and Known once first seen more than 7 days ago', async () => {
    const time = clock();
    const book = new TrustBook(new MemoryStore(), { now: time.now });
    const bob = peer();
    expect(await book.assess(bob)).toMatchObject({ levelName: 'NewUser', level: 10, reason: 'NEW_USER', userFirstSeen: '2026-11-24T21:00:00.000Z', deviceFirstSeen: '2026-11-24T21:00:00.000Z' });
    time.advance(1);
    expect(await book.assess(bob)).toMatchObject({ levelName: 'NewDevice', level: 20, reason: 'NEW_DEVICE' });
    time.advance(DEVICE_KNOWN_AFTER_MS - 1); // exactly 7 days after first sight: not "more than"
    expect(await book.assess(bob)).toMatchObject({ levelName: 'NewDevice' });
    time.advance(1);
    expect(await book.assess(bob)).toMatchObject({ levelName: 'Known', level: 30, reason: 'KNOWN_DEVICE', deviceFirstSeen: '2026-11-24T21:00:00.000Z' });
    // Another device of the same user starts its own 7 days.
    const laptop = { ...bob, deviceId: newPeersId() };
    expect(await book.assess(laptop)).toMatchObject({ levelName: 'NewDevice', userFirstSeen: '2026-11-24T21:00:00.000Z', deviceFirstSeen: '2026-12-01T21:00:00.001Z' });
    time.advance(DEVICE_KNOWN_AFTER_MS + 1);
    expect(await book.assess(laptop)).toMatchObject({ levelName: 'Known' });
  });

  it('survives a restart: the first sight is kept in the file store', async () => {
    const path = join(folder, 'state.json');
    const bob = peer();
    expect(await new TrustBook(new FileStore(path), { now: () => T0 }).assess(bob)).toMatchObject({ levelName: 'NewUser' });
    const later = new TrustBook(new FileStore(path), { now: () => T0 + 8 * DAY });
    expect(await later.assess(bob)).toMatchObject({ levelName: 'Known', deviceFirstSeen: '2026-11-24T21:00:00.000Z' });
  });

  it('another device of this same user is Self with this user’s keys, Untrusted with others', async () => {
    const book = new TrustBook(new MemoryStore(), { now: () => T0 });
    const me = peer();
    expect(await book.assess({ ...me, deviceId: newPeersId() }, { self: me })).toMatchObject({ levelName: 'Self', level: 100, reason: 'SELF' });
    expect(await book.assess({ ...peer(me.userId) }, { self: me })).toMatchObject({ levelName: 'Untrusted', reason: 'KEY_MISMATCH' });
  });
});

describe('marks', () => {
  it('Malicious and Untrusted hold whatever the age; Trusted lifts the user; clearing returns to the age', async () => {
    const time = clock();
    const book = new TrustBook(new MemoryStore(), { now: time.now });
    const mallory = peer();
    await book.assess(mallory);
    await book.mark(mallory.userId, 'Malicious');
    expect(await book.markOf(mallory.userId)).toBe('Malicious');
    time.advance(30 * DAY);
    expect(await book.assess(mallory)).toMatchObject({ levelName: 'Malicious', level: -20, reason: 'MARKED' });
    await book.mark(mallory.userId, 'Untrusted');
    expect(await book.assess(mallory)).toMatchObject({ levelName: 'Untrusted', level: -10, reason: 'MARKED' });
    await book.mark(mallory.userId, null);
    expect(await book.assess(mallory)).toMatchObject({ levelName: 'Known' });

    const friend = peer();
    await book.mark(friend.userId, 'Trusted'); // before ever meeting
    expect(await book.assess(friend)).toMatchObject({ levelName: 'Trusted', level: 50, reason: 'MARKED' });
    expect(await book.keysOf(friend.userId)).toEqual({ publicKey: friend.publicKey, publicBoxKey: friend.publicBoxKey });
  });
});

describe('keys on record', () => {
  it('other keys for a known user are Untrusted and change nothing, unless a source that can establish the change vouched for them', async () => {
    const book = new TrustBook(new MemoryStore(), { now: () => T0 });
    const bob = peer();
    await book.assess(bob);
    const rotated = { ...bob, publicKey: generateSigningKeyPair().publicKey };
    expect(await book.assess(rotated)).toMatchObject({ levelName: 'Untrusted', reason: 'KEY_MISMATCH' });
    expect(await book.keysOf(bob.userId)).toEqual({ publicKey: bob.publicKey, publicBoxKey: bob.publicBoxKey });
    expect(await book.assess(rotated, { acceptKeyChange: true })).toMatchObject({ levelName: 'NewDevice', keysChanged: true });
    expect(await book.keysOf(bob.userId)).toEqual({ publicKey: rotated.publicKey, publicBoxKey: rotated.publicBoxKey });
    expect(await book.assess(bob)).toMatchObject({ levelName: 'Untrusted', reason: 'KEY_MISMATCH' });
  });
});

describe('in the handshake’s trust evaluation', () => {
  it('the verdict carries the assessment; a marked peer is BLOCKED_PEER; other keys with blind trust only are KEY_MISMATCH', async () => {
    const book = new TrustBook(new MemoryStore(), { now: () => T0 });
    const bob = peer();
    const pinned = pinnedTrust({ [bob.userId]: { publicKey: bob.publicKey, publicBoxKey: bob.publicBoxKey } });
    const first = await evaluateTrust(bob.userId, bob, { sources: [pinned], book });
    expect(first).toMatchObject({ source: 'pinned', levelName: 'Trusted', assessment: { levelName: 'NewUser' } });

    const swapped = { ...bob, publicKey: generateSigningKeyPair().publicKey };
    const blind = await evaluateTrust(swapped.userId, swapped, { sources: [], blindTrust: true }).then(() => 'ok');
    expect(blind).toBe('ok'); // without a book, blind trust takes anyone
    const refused = await evaluateTrust(swapped.userId, swapped, { sources: [], blindTrust: true, book }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HandshakeError);
    expect((refused as HandshakeError).code).toBe('KEY_MISMATCH');

    await book.mark(bob.userId, 'Malicious');
    const blocked = await evaluateTrust(bob.userId, bob, { sources: [pinned], book }).catch((e: unknown) => e);
    expect((blocked as HandshakeError).code).toBe('BLOCKED_PEER');
  });

  it('a full handshake with a trust book: the assessment arrives, and a Malicious mark refuses the peer', async () => {
    const identity = (): HandshakeIdentity => {
      const signingKey = generateSigningKeyPair();
      const boxKey = generateBoxKeyPair();
      return { device: { userId: newPeersId(), deviceId: newPeersId(), publicKey: signingKey.publicKey, publicBoxKey: boxKey.publicKey, addresses: ['10.0.0.1:3341'] }, signingKey, boxKey };
    };
    const [alice, bob] = [identity(), identity()];
    const pinned = pinnedTrust({ [alice.device.userId]: alice.device, [bob.device.userId]: bob.device });
    const book = new TrustBook(new MemoryStore(), { now: () => T0 });
    const run = () => {
      const { a, b } = transportPair();
      const server = serverHandshake(b, { me: alice, trust: [pinned], observedAddress: '10.0.0.2:50000', now: () => T0 });
      const client = clientHandshake(a, { me: bob, trust: [pinned], dialledAddress: '10.0.0.1:3341', expectedUserId: alice.device.userId, trustBook: book, now: () => T0 });
      server.catch(() => {});
      return client;
    };
    const ok = await run();
    expect(ok.trust.assessment).toMatchObject({ levelName: 'NewUser' });
    ok.channel.close();
    await book.mark(alice.device.userId, 'Malicious');
    const refused = await run().catch((e: unknown) => e);
    expect((refused as HandshakeError).code).toBe('BLOCKED_PEER');
  });
});
