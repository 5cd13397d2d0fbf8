// DESIGN.md §8: two peers that connect over socket.io end up knowing they talk to the key owners
// they expect — and a relaying man in the middle is caught by both.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newPeersId } from '../../src/protocol/ids.js';
import {
  HandshakeError,
  RegistryClient,
  acceptPeer,
  clientHandshake,
  connectPeer,
  createDeviceRecord,
  createIdentityRecord,
  generateIdentityKeys,
  generateSigningKeyPair,
  pinnedTrust,
  registryTrust,
  serverHandshake,
  type HandshakeIdentity,
  type HandshakeResult,
  type IdentityKeys,
  type TrustSource,
} from '../../src/sdk/index.js';
import { transportPair } from '../helpers/memory-transport.js';
import { useTestRegistry } from '../helpers/registry.js';
import { expectWith } from '../helpers/expect-with.js';
import { waitFor } from '../helpers/wait.js';

// Peers look each other up through the SDK, over HTTP: the registry listens.
const registry = useTestRegistry({ listen: true });
let registryClient: RegistryClient;

beforeAll(() => {
  registryClient = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
});

/** A registered peer with a device at `addresses`. */
async function peer(name: string, addresses: string[], register = true): Promise<{ keys: IdentityKeys; me: HandshakeIdentity }> {
  const keys = generateIdentityKeys();
  const record = await createIdentityRecord(keys, { name });
  if (register) {
    await registryClient.register(record);
    await registryClient.publishDevice(await createDeviceRecord({ userId: record.userId, addresses, signingKey: keys.signing }));
  }
  return {
    keys,
    me: { device: { userId: record.userId, deviceId: newPeersId(), publicKey: keys.signing.publicKey, publicBoxKey: keys.box.publicKey, addresses }, signingKey: keys.signing, boxKey: keys.box },
  };
}

/** A socket.io server peer on loopback; resolves each incoming handshake through `results`. */
async function listeningPeer(setup: (port: number) => Promise<{ me: HandshakeIdentity; trust: TrustSource[]; blindTrust?: boolean }>) {
  const server = http.createServer();
  const io = new Server(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const options = await setup(port);
  const results: Array<Promise<HandshakeResult>> = [];
  io.on('connection', (socket) => {
    const result = acceptPeer(socket, { ...options, timeoutMs: STEP_TIMEOUT_MS });
    result.catch(() => {});
    results.push(result);
  });
  return { port, options, results, close: () => new Promise<void>((resolve) => io.close(() => resolve())) };
}

/** Generous: a loaded CI machine can be slow to relay a message, and the relay is a process of its own. */
const STEP_TIMEOUT_MS = 30_000;

function dial(port: number): ClientSocket {
  return connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HandshakeError);
  return (error as HandshakeError).code;
}

describe('two peers on loopback over socket.io', () => {
  it('complete the handshake through registry lookups and talk over the secure channel', async () => {
    const client = await peer('Client', []);
    const server = await listeningPeer(async (port) => ({ me: (await peer('Server', [`127.0.0.1:${port}`])).me, trust: [registryTrust(registryClient)] }));
    try {
      const socket = dial(server.port);
      const mine = await connectPeer(socket, { me: client.me, dialledAddress: `127.0.0.1:${server.port}`, expectedUserId: server.options.me.device.userId, trust: [registryTrust(registryClient)] });
      const theirs = await server.results[0]!;
      expect(mine.trust).toMatchObject({ source: 'registry', levelName: 'Known', blind: false, idBinding: 'self-certifying' });
      expect(theirs.trust.source).toBe('registry');
      expect(mine.peer.userId).toBe(server.options.me.device.userId);
      expect(theirs.peer.userId).toBe(client.me.device.userId);

      const toServer = new Promise((resolve) => theirs.channel.onMessage(resolve));
      mine.channel.send({ hello: 'server', n: 1 });
      expect(await toServer).toEqual({ hello: 'server', n: 1 });
      const toClient = new Promise((resolve) => mine.channel.onMessage(resolve));
      theirs.channel.send({ hello: 'client' });
      expect(await toClient).toEqual({ hello: 'client' });
      mine.channel.close();
    } finally {
      await server.close();
    }
  });

  it('a relaying man in the middle (another process, another port) is detected by both sides', async () => {
    const client = await peer('Client', []);
    const server = await listeningPeer(async (port) => ({ me: (await peer('Server', [`127.0.0.1:${port}`])).me, trust: [registryTrust(registryClient)] }));
    let relay: ChildProcess | null = null;
    try {
      relay = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/mitm-relay.ts', `http://127.0.0.1:${server.port}`], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
      const relayPort = await new Promise<number>((resolve) => relay!.stdout!.on('data', (chunk: Buffer) => resolve(Number(/relay (\d+)/.exec(String(chunk))![1]))));
      const socket = dial(relayPort);
      const clientSide = connectPeer(socket, { me: client.me, dialledAddress: `127.0.0.1:${relayPort}`, expectedUserId: server.options.me.device.userId, trust: [registryTrust(registryClient)], timeoutMs: STEP_TIMEOUT_MS });
      expect(await failure(clientSide)).toBe('ADDRESS_MISMATCH');
      await waitFor(async () => expect(server.results.length).toBe(1));
      expect(await failure(server.results[0]!)).toBe('ADDRESS_MISMATCH');
    } finally {
      relay?.kill();
      await server.close();
    }
  });

  it('refuses a peer whose keys differ from the registry’s', async () => {
    const client = await peer('Client', []);
    const impostorKey = generateSigningKeyPair();
    const server = await listeningPeer(async (port) => {
      const real = await peer('Server', [`127.0.0.1:${port}`]);
      // The server presents a signing key of its own instead of the registered one.
      return { me: { ...real.me, device: { ...real.me.device, publicKey: impostorKey.publicKey }, signingKey: impostorKey }, trust: [registryTrust(registryClient)] };
    });
    try {
      expect(await failure(connectPeer(dial(server.port), { me: client.me, dialledAddress: `127.0.0.1:${server.port}`, expectedUserId: server.options.me.device.userId, trust: [registryTrust(registryClient)] }))).toBe('KEY_MISMATCH');
    } finally {
      await server.close();
    }
  });

  it('refuses a peer unknown to every trust source unless blind trust was chosen — and then says so', async () => {
    const stranger = await peer('Stranger', [], false);
    const server = await listeningPeer(async (port) => ({ me: (await peer('Server', [`127.0.0.1:${port}`])).me, trust: [registryTrust(registryClient)] }));
    try {
      expect(await failure(connectPeer(dial(server.port), { me: stranger.me, dialledAddress: `127.0.0.1:${server.port}`, expectedUserId: server.options.me.device.userId, trust: [registryTrust(registryClient)] }))).toBe('PEER_ABORTED');
      expect(await failure(server.results[0]!)).toBe('UNTRUSTED_PEER');
    } finally {
      await server.close();
    }
    const blindServer = await listeningPeer(async (port) => ({ me: (await peer('Server', [`127.0.0.1:${port}`])).me, trust: [registryTrust(registryClient)], blindTrust: true }));
    try {
      const result = await connectPeer(dial(blindServer.port), { me: stranger.me, dialledAddress: `127.0.0.1:${blindServer.port}`, expectedUserId: blindServer.options.me.device.userId, trust: [registryTrust(registryClient)] });
      expect((await blindServer.results[0]!).trust).toMatchObject({ source: 'blind', blind: true, levelName: 'Unknown', level: 0 });
      result.channel.close();
    } finally {
      await blindServer.close();
    }
  });

  it('trusts keys pinned by meeting in person above the registry, and refuses when they disagree', async () => {
    const client = await peer('Client', []);
    const server = await peer('Server', ['127.0.0.1:7000']);
    const pinnedRight = pinnedTrust({ [server.me.device.userId]: server.me.device });
    const { a, b } = transportPair();
    const [mine] = await Promise.all([
      clientHandshake(a, { me: client.me, dialledAddress: '127.0.0.1:7000', expectedUserId: server.me.device.userId, trust: [registryTrust(registryClient), pinnedRight] }),
      serverHandshake(b, { me: server.me, observedAddress: '127.0.0.1:50000', trust: [registryTrust(registryClient)] }),
    ]);
    expect(mine.trust).toMatchObject({ source: 'pinned', levelName: 'Trusted', agreeing: ['registry', 'pinned'] });

    const pinnedWrong = pinnedTrust({ [server.me.device.userId]: { ...server.me.device, publicKey: generateSigningKeyPair().publicKey } });
    const pair = transportPair();
    const refused = clientHandshake(pair.a, { me: client.me, dialledAddress: '127.0.0.1:7000', expectedUserId: server.me.device.userId, trust: [registryTrust(registryClient), pinnedWrong] });
    serverHandshake(pair.b, { me: server.me, observedAddress: '127.0.0.1:50000', trust: [registryTrust(registryClient)] }).catch(() => {});
    expect(await failure(refused)).toBe('KEY_MISMATCH');
  });
});

describe('replays and tampering', () => {
  let client: Awaited<ReturnType<typeof peer>>;
  let server: Awaited<ReturnType<typeof peer>>;
  beforeAll(async () => {
    client = await peer('Client', []);
    server = await peer('Server', ['127.0.0.1:7000']);
  }, 120_000);
  const clientOptions = () => ({ me: client.me, dialledAddress: '127.0.0.1:7000', expectedUserId: server.me.device.userId, trust: [registryTrust(registryClient)] });
  const serverOptions = () => ({ me: server.me, observedAddress: '127.0.0.1:50000', trust: [registryTrust(registryClient)] });

  async function connected() {
    const captured: unknown[] = [];
    let tap: (m: unknown, d: string) => unknown[] = (m) => [m];
    const pair = transportPair((m, d) => {
      captured.push(m);
      return tap(m, d);
    });
    const [mine, theirs] = await Promise.all([clientHandshake(pair.a, clientOptions()), serverHandshake(pair.b, serverOptions())]);
    return { mine, theirs, captured, setTap: (t: typeof tap) => (tap = t) };
  }

  it('refuses handshake messages replayed from an earlier handshake', async () => {
    const earlier = await connected();
    const [, oldServerHello, oldClientAuth] = earlier.captured as [unknown, unknown, unknown];
    // An old server-hello answering a new hello.
    const toClient = transportPair((m, d) => (d === 'b→a' ? [oldServerHello] : [m]));
    const clientSide = clientHandshake(toClient.a, clientOptions());
    serverHandshake(toClient.b, serverOptions()).catch(() => {});
    expect(await failure(clientSide)).toBe('NONCE_MISMATCH');
    // An old client-auth answering a new server-hello.
    let seen = 0;
    const toServer = transportPair((m, d) => (d === 'a→b' && ++seen === 2 ? [oldClientAuth] : [m]));
    const serverSide = serverHandshake(toServer.b, serverOptions());
    clientHandshake(toServer.a, clientOptions()).catch(() => {});
    expect(await failure(serverSide)).toBe('NONCE_MISMATCH');
  });

  it('refuses replayed, reordered and altered channel frames', async () => {
    const cases: Array<[string, (frames: unknown[]) => unknown[]]> = [
      ['REPLAYED_FRAME', (frames) => [frames[0], frames[0]]],
      ['REORDERED_FRAME', (frames) => [frames[1], frames[0]]],
      [
        'BAD_FRAME',
        (frames) => {
          const frame = JSON.parse(JSON.stringify(frames[0])) as { box: string };
          frame.box = frame.box.slice(0, 10) + (frame.box[10] === 'A' ? 'B' : 'A') + frame.box.slice(11);
          return [frame];
        },
      ],
    ];
    for (const [code, rewrite] of cases) {
      const { mine, theirs, setTap } = await connected();
      const held: unknown[] = [];
      setTap((m, d) => {
        if (d !== 'a→b') return [m];
        held.push(m);
        return held.length === 2 ? rewrite(held) : code === 'BAD_FRAME' ? rewrite(held) : [];
      });
      const received: unknown[] = [];
      theirs.channel.onMessage((payload) => received.push(payload));
      const error = new Promise<HandshakeError>((resolve) => theirs.channel.onError(resolve));
      mine.channel.send({ n: 1 });
      mine.channel.send({ n: 2 });
      expectWith((await error).code, code).toBe(code);
      expect(theirs.channel.isClosed).toBe(true);
      if (code !== 'BAD_FRAME') expect(received.length).toBeLessThanOrEqual(1);
    }
  });
});
