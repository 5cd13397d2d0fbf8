// Security issue part 7: handshake edges. (1) The inbox that buffers a handshake's messages and the
// channel's queue of frames that arrive before anyone listens grew without bound: a peer could
// flood them. They are bounded now, and a peer that floods is dropped with code FLOODED. (2)
// `expectedUserId` was optional, so forgetting it silently accepted whoever answered; "whoever
// answers" is now an explicit `anyPeer: true`, reported in the result. No registry needed here:
// the trust source is pinned keys, the transport an in-memory pair.
import { describe, expect, it } from '@jest/globals';
import { newPeersId } from '../../src/protocol/ids.js';
import {
  CHANNEL_PENDING_LIMITS,
  HandshakeError,
  INBOX_LIMITS,
  clientHandshake,
  generateBoxKeyPair,
  generateSigningKeyPair,
  pinnedTrust,
  serverHandshake,
  type ClientHandshakeOptions,
  type HandshakeIdentity,
  type TrustSource,
} from '../../src/sdk/index.js';
import { transportPair } from '../helpers/memory-transport.js';

function identity(addresses: string[]): HandshakeIdentity {
  const signingKey = generateSigningKeyPair();
  const boxKey = generateBoxKeyPair();
  return { device: { userId: newPeersId(), deviceId: newPeersId(), publicKey: signingKey.publicKey, publicBoxKey: boxKey.publicKey, addresses }, signingKey, boxKey };
}

const client = identity([]);
const server = identity(['127.0.0.1:7000']);
const bothPinned = () => pinnedTrust({ [client.device.userId]: client.device, [server.device.userId]: server.device });
const serverOptions = (trust: TrustSource[] = [bothPinned()]) => ({ me: server, observedAddress: '127.0.0.1:50000', trust });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(HandshakeError);
  return (error as HandshakeError).code;
}

/** A trust source that answers like `inner` once `release()` is called: a slow registry lookup. */
function gated(inner: TrustSource): { source: TrustSource; release: () => void } {
  let release = () => {};
  const open = new Promise<void>((resolve) => (release = resolve));
  return { source: { name: inner.name, level: inner.level, keysFor: async (userId) => (await open, inner.keysFor(userId)) }, release };
}

describe('whom a client means to reach', () => {
  it('refuses to start without expectedUserId or anyPeer: true, and sends nothing', async () => {
    const { a, b, log } = transportPair();
    serverHandshake(b, { ...serverOptions(), timeoutMs: 200 }).catch(() => {});
    const options = { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()] } as unknown as ClientHandshakeOptions;
    expect(await failure(clientHandshake(a, options))).toBeInstanceOf(TypeError);
    const both = { ...options, expectedUserId: server.device.userId, anyPeer: true } as unknown as ClientHandshakeOptions;
    expect(await failure(clientHandshake(a, both))).toBeInstanceOf(TypeError);
    expect(log.filter((l) => l.direction === 'a→b')).toEqual([]); // the client sent nothing
  });

  it('accepts whoever answers only when asked to, and says so in the result', async () => {
    const pair = transportPair();
    const [anyone] = await Promise.all([clientHandshake(pair.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], anyPeer: true }), serverHandshake(pair.b, serverOptions())]);
    expect(anyone.anyPeer).toBe(true);
    expect(anyone.peer.userId).toBe(server.device.userId);
    expect(anyone.trust.idBinding).toBeNull(); // pinned keys say nothing of how the id is bound

    const named = transportPair();
    const [meant] = await Promise.all([clientHandshake(named.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], expectedUserId: server.device.userId }), serverHandshake(named.b, serverOptions())]);
    expect(meant.anyPeer).toBe(false);

    const wrong = transportPair();
    const refused = clientHandshake(wrong.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], expectedUserId: newPeersId() });
    serverHandshake(wrong.b, serverOptions()).catch(() => {});
    expect(await codeOf(refused)).toBe('UNEXPECTED_PEER');
  });
});

describe('a peer that floods', () => {
  it('during the handshake: the client’s inbox is bounded and the flooding server dropped with FLOODED', async () => {
    const slow = gated(bothPinned());
    // The server answers its hello, then sends junk while the client waits for its trust source.
    const pair = transportPair((message, direction) =>
      direction === 'b→a' && (message as { type?: string }).type === 'peerkeys/server-hello' ? [message, ...Array.from({ length: INBOX_LIMITS.messages + 1 }, (_, i) => ({ type: 'junk', i }))] : [message],
    );
    const clientSide = clientHandshake(pair.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [slow.source], expectedUserId: server.device.userId, timeoutMs: 5_000 });
    serverHandshake(pair.b, { ...serverOptions(), timeoutMs: 5_000 }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    slow.release();
    expect(await codeOf(clientSide)).toBe('FLOODED');
    // The flooded side tells the peer why it hung up.
    expect(pair.log.filter((l) => l.direction === 'a→b').map((l) => l.message)).toContainEqual({ type: 'peerkeys/abort', code: 'FLOODED' });
  });

  it('during the handshake: the server’s inbox is bounded too, by bytes as well as by count', async () => {
    const slow = gated(bothPinned());
    const big = 'x'.repeat(Math.ceil(INBOX_LIMITS.bytes / 4));
    const pair = transportPair((message, direction) =>
      direction === 'a→b' && (message as { type?: string }).type === 'peerkeys/client-auth' ? [message, ...Array.from({ length: 5 }, () => ({ type: 'junk', big }))] : [message],
    );
    const serverSide = serverHandshake(pair.b, { ...serverOptions([slow.source]), timeoutMs: 5_000 });
    clientHandshake(pair.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], expectedUserId: server.device.userId, timeoutMs: 5_000 }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    slow.release();
    expect(await codeOf(serverSide)).toBe('FLOODED');
  });

  it('on the channel before anyone listens: frames are kept up to the limit, then the channel closes with FLOODED', async () => {
    const pair = transportPair();
    const [mine, theirs] = await Promise.all([clientHandshake(pair.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], expectedUserId: server.device.userId }), serverHandshake(pair.b, serverOptions())]);
    const errors: string[] = [];
    theirs.channel.onError((error) => errors.push(error.code));
    for (let i = 0; i <= CHANNEL_PENDING_LIMITS.messages; i++) mine.channel.send({ i });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toEqual(['FLOODED']);
    expect(theirs.channel.isClosed).toBe(true);
    // Nothing of the flood is delivered to a listener that comes late.
    const late: unknown[] = [];
    theirs.channel.onMessage((payload) => late.push(payload));
    expect(late).toEqual([]);
  });

  it('on the channel: large frames count by size, and a late error listener still learns why the channel closed', async () => {
    const pair = transportPair();
    const [mine, theirs] = await Promise.all([clientHandshake(pair.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], anyPeer: true }), serverHandshake(pair.b, serverOptions())]);
    const chunk = 'y'.repeat(1_000_000);
    for (let i = 0; i * 1_000_000 <= CHANNEL_PENDING_LIMITS.bytes; i++) mine.channel.send({ chunk });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(theirs.channel.isClosed).toBe(true);
    const error = await new Promise<HandshakeError>((resolve) => theirs.channel.onError(resolve));
    expect(error.code).toBe('FLOODED');
  });

  it('keeps a burst below the limits and delivers it in order once someone listens', async () => {
    const pair = transportPair();
    const [mine, theirs] = await Promise.all([clientHandshake(pair.a, { me: client, dialledAddress: '127.0.0.1:7000', trust: [bothPinned()], anyPeer: true }), serverHandshake(pair.b, serverOptions())]);
    for (let i = 0; i < CHANNEL_PENDING_LIMITS.messages; i++) mine.channel.send({ i });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const received: unknown[] = [];
    theirs.channel.onMessage((payload) => received.push(payload));
    expect(received).toEqual(Array.from({ length: CHANNEL_PENDING_LIMITS.messages }, (_, i) => ({ i })));
    expect(theirs.channel.isClosed).toBe(false);
  });
});
