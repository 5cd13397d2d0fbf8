// ServerDrain (src/server/http/server-drain.ts) on a plain HTTP server with handlers the test holds,
// no database: nothing it keeps outlives its connection (pipelined responses queued behind a
// connection that closed included), a handler whose client hung up is waited for until it ends or
// destroys its response, and a stop's sweeps close only the connections that will send nothing.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import { errorHandler } from '../../src/server/http/problem.js';
import { ServerDrain } from '../../src/server/http/server-drain.js';
import { waitFor } from '../helpers/wait.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

interface Served {
  drain: ServerDrain;
  server: Server;
  /** The server's side of each connection, in order of arrival. */
  sockets: Socket[];
  /** A raw client connection, connected. */
  client: () => Promise<Socket>;
}

const servers: Server[] = [];
const clients: Socket[] = [];

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(app: RequestListener, drain = new ServerDrain()): Promise<Served> {
  const server = createServer(drain.handler(app));
  drain.watch(server, false);
  const sockets: Socket[] = [];
  server.on('connection', (socket: Socket) => void sockets.push(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = async () => {
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    await waitFor(() => expect(sockets.length).toBeGreaterThan(0));
    return socket;
  };
  return { drain, server, sockets, client };
}

/** Everything a raw client reads until its connection closes. */
function readAll(socket: Socket): Promise<{ text: string; error: string | null }> {
  let text = '';
  let error: string | null = null;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  return new Promise((resolve) => socket.once('close', () => resolve({ text, error })));
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: drain.test\r\n\r\n`;
const nothing = { connections: 0, responses: 0, orphans: 0 };

describe('ServerDrain keeps nothing past its connection', () => {
  it('pipelined responses queued behind a connection that closes are dropped once their handlers end', async () => {
    const held = deferred();
    const arrived: string[] = [];
    const handled: Promise<void>[] = [];
    const { drain, client } = await serve((req: IncomingMessage, res: ServerResponse) => {
      arrived.push(req.url!);
      handled.push(held.promise.then(() => void res.end('ok')));
    });
    const socket = await client();
    socket.write(GET('/1') + GET('/2') + GET('/3'));
    await waitFor(() => expect(arrived).toEqual(['/1', '/2', '/3']));
    expect(drain.holding()).toEqual({ connections: 1, responses: 3, orphans: 0 });
    socket.destroy();
    await waitFor(() => expect(drain.holding()).toEqual({ connections: 0, responses: 0, orphans: 3 }));
    held.resolve();
    await Promise.all(handled);
    // Before: the two queued responses never emitted 'close' and stayed in the drain for good.
    expect(drain.holding()).toEqual(nothing);
    expect(await drain.orphansFinished(60_000)).toBe(0);
  });

  it('ended responses are dropped at the connection’s next request and at its close', async () => {
    let served = 0;
    const { drain, client } = await serve((_req, res) => void res.end('ok', () => served++));
    const socket = await client();
    const read = readAll(socket);
    for (let i = 0; i < 5; i++) socket.write(GET(`/${i}`));
    await waitFor(() => expect(served).toBe(5));
    expect(drain.holding()).toEqual({ connections: 1, responses: 1, orphans: 0 });
    socket.end();
    expect((await read).text.match(/HTTP\/1\.1 200/g)).toHaveLength(5);
    await waitFor(() => expect(drain.holding()).toEqual(nothing));
  });
});

describe('ServerDrain waits for a handler whose client hung up until it ends or destroys its response', () => {
  async function orphaned(finish: (res: ServerResponse) => void, withDrain?: ServerDrain): Promise<{ drain: ServerDrain; server: Server; release: () => Promise<void> }> {
    const held = deferred();
    let handled: Promise<void> | null = null;
    const { drain, server, client } = await serve((_req, res) => {
      handled = held.promise.then(() => finish(res));
    }, withDrain);
    const socket = await client();
    socket.write(GET('/slow'));
    await waitFor(() => expect(handled).not.toBeNull());
    socket.destroy();
    await waitFor(() => expect(drain.holding()).toEqual({ connections: 0, responses: 0, orphans: 1 }));
    return {
      drain,
      server,
      release: async () => {
        held.resolve();
        await handled;
      },
    };
  }

  it('res.end: the stop’s wait holds until it, then reports none left', async () => {
    const { drain, server, release } = await orphaned((res) => res.end('late'));
    await new Promise((resolve) => server.close(resolve));
    let settled: number | null = null;
    const finished = drain.orphansFinished(60_000).then((left) => (settled = left));
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBeNull();
    await release();
    expect(await finished).toBe(0);
    expect(drain.holding()).toEqual(nothing);
  });

  it('res.destroy settles it as well as res.end', async () => {
    const { drain, release } = await orphaned((res) => res.destroy());
    await release();
    // Before: only res.end settled an orphan; this one was kept for the life of the process.
    expect(drain.holding()).toEqual(nothing);
    expect(await drain.orphansFinished(60_000)).toBe(0);
  });

  it('the stop’s wait ends after its bound all the same, and says how many are still at work', async () => {
    const { drain, server } = await orphaned(() => {});
    await new Promise((resolve) => server.close(resolve));
    expect(await drain.orphansFinished(1)).toBe(1);
  });

  it('one that neither ends nor destroys its response is forgotten past the bound, at the next hang-up', async () => {
    const drain = new ServerDrain(1);
    const first = await orphaned(() => {}, drain);
    expect(drain.holding().orphans).toBe(1);
    // Older than the 1 ms bound by then.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await orphaned(() => {}, drain);
    expect(drain.holding()).toEqual({ connections: 0, responses: 0, orphans: 1 });
    await first.release();
    await second.release();
  });

  it('an error after the answer began cuts the answer through the response: nothing is left at work', async () => {
    const held = deferred();
    const logged: { level: number; msg?: string }[] = [];
    const app = express();
    app.get('/late', async (_req, res) => {
      res.write('partial');
      await held.promise;
      throw new Error('late');
    });
    app.use(errorHandler(pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number }) })));
    const { drain, client } = await serve(app);
    const socket = await client();
    const read = readAll(socket);
    socket.write(GET('/late'));
    await waitFor(() => expect(drain.holding().responses).toBe(1));
    held.resolve();
    const { text } = await read;
    expect(text).toContain('partial');
    // Before: Express's final handler destroyed the socket and never the response, which was then
    // taken for an orphan that never finishes.
    await waitFor(() => expect(drain.holding()).toEqual(nothing));
    expect(logged).toEqual([expect.objectContaining({ level: 50, msg: 'error after the answer began' })]);
  });
});

describe('ServerDrain.closeSilent closes only the connections that will deliver no request', () => {
  it('a connection silent at two sweeps in a row is closed, not at the first', async () => {
    const { drain, client } = await serve((_req, res) => res.end('ok'));
    const socket = await client();
    const read = readAll(socket);
    drain.closeSilent(60_000);
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(socket.destroyed).toBe(false);
    drain.closeSilent(60_000);
    expect(await read).toEqual({ text: '', error: null });
    await waitFor(() => expect(drain.holding()).toEqual(nothing));
  });

  it('a request the client has written but the server has not read yet is served, not reset', async () => {
    const arrived = deferred();
    const held = deferred();
    const { drain, client } = await serve((_req, res) => {
      arrived.resolve();
      void held.promise.then(() => res.end('served'));
    });
    const socket = await client();
    const read = readAll(socket);
    socket.write('GET /just-sent HTTP/1.1\r\nHost: drain.test\r\nConnection: close\r\n\r\n');
    // Same tick: the request is on its way, the server has read no byte of it. Before: closed here.
    drain.closeSilent(60_000);
    // (Before, the connection closed here, and the request never arrived.)
    await Promise.race([arrived.promise, read]);
    drain.closeSilent(60_000);
    held.resolve();
    const { text, error } = await read;
    expect(error).toBeNull();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*served$/);
  });

  it('a connection whose headers are still incomplete past headersTimeout is closed; before it, it is left alone', async () => {
    const { drain, sockets, client } = await serve((_req, res) => res.end('ok'));
    const socket = await client();
    const read = readAll(socket);
    socket.write('GET /slowloris HTTP/1.1\r\n');
    await waitFor(() => expect(sockets[0]!.bytesRead).toBeGreaterThan(0));
    drain.closeSilent(60_000);
    drain.closeSilent(60_000);
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(socket.destroyed).toBe(false);
    // The connection is older than 1 ms by now: past a 1 ms headersTimeout.
    await new Promise((resolve) => setTimeout(resolve, 5));
    drain.closeSilent(1);
    expect(await read).toEqual({ text: '', error: null });
  });
});
