// The registry's own server makes its requests and responses with its app's prototypes
// (RegistryService.start, src/server/http/message-classes.ts), not only a server a test builds:
// the test watches the server start() creates (through http.createServer, with Node's 'request'
// event before Express's listener) and sees what Node made. Pipelined requests on one socket, a
// HEAD among them, get the same bytes as from a plain server around the same app.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { newIdentity } from '../helpers/identities.js';
import { rawRequest } from '../helpers/raw-http.js';
import { SETUP_TIMEOUT_MS, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Node's message classes are plain functions (Node 20-24); were they ES classes, Node's own would be used and Express would set the prototypes later. */
const nodeClassesAreFunctions = !Function.prototype.toString.call(http.IncomingMessage).startsWith('class');

let registry: TestRegistry;
/** The prototypes of each request and response the registry's server made, as Node made them. */
const atArrival: Array<[unknown, unknown]> = [];

beforeAll(async () => {
  const createServer = http.createServer.bind(http) as (...args: unknown[]) => http.Server;
  const spy = jest.spyOn(http, 'createServer').mockImplementation(((...args: unknown[]) => {
    const server = createServer(...args);
    server.prependListener('request', (req, res) => void atArrival.push([Object.getPrototypeOf(req), Object.getPrototypeOf(res)]));
    return server;
  }) as typeof http.createServer);
  try {
    registry = await startTestRegistry();
    expect(spy).toHaveBeenCalledTimes(1);
  } finally {
    spy.mockRestore();
  }
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await registry?.close();
});

/** Sends `text` on one connection and answers all the server wrote until it closed the connection. */
async function exchange(port: number, text: string): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
    socket.write(text);
  });
  return Buffer.concat(chunks).toString('latin1');
}

/** The responses in `raw`, without their Date headers (the only bytes that differ between two servers). */
const withoutDates = (raw: string) => raw.replace(/\r\nDate: [^\r]*/g, '');

describe("the registry's server", () => {
  it('makes every request and response with the app’s prototypes, pipelined on one socket with a HEAD, and answers what a plain server answers', async () => {
    const alice = await newIdentity();
    expect((await registry.api.post('/v1/users', alice.head)).status).toBe(201);
    const lookup = `/v1/users/${alice.userId}`;
    const etag = (await fetch(`${registry.url}${lookup}`)).headers.get('etag')!;
    expect(etag).toBeTruthy();
    // Each with a request id of its own, so that both servers answer the same bytes (problems carry it).
    const pipelined = [
      { method: 'GET', path: lookup },
      { method: 'HEAD', path: lookup },
      { method: 'GET', path: lookup, headers: { 'If-None-Match': etag } },
      { method: 'GET', path: `/v1/users/${'z'.repeat(25)}` },
      { method: 'POST', path: '/v1/users', body: '{"not":' },
      { method: 'GET', path: '/healthz', headers: { Connection: 'close' } },
    ]
      .map((request, at) => rawRequest({ ...request, headers: { ...request.headers, 'X-Request-Id': `pipelined-${at}` } }))
      .join('');

    atArrival.length = 0;
    const served = await exchange(Number(new URL(registry.url).port), pipelined);
    const expected = nodeClassesAreFunctions ? [registry.app.request, registry.app.response] : [http.IncomingMessage.prototype, http.ServerResponse.prototype];
    expect(atArrival).toEqual(Array.from({ length: 6 }, () => expected));
    expect([...served.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))).toEqual([200, 200, 304, 404, 400, 200]);

    // The same bytes, the same app, served by a server with Node's own classes.
    const plain = http.createServer(registry.app);
    plain.keepAliveTimeout = 65_000; // as start() sets it: the Keep-Alive header says so
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      expect(withoutDates(served)).toBe(withoutDates(await exchange((plain.address() as AddressInfo).port, pipelined)));
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
