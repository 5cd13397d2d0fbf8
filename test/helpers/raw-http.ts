/**
 * HTTP/1.1 over a raw TCP socket, for attacks a well-behaved client cannot make: pipelined
 * requests whose responses are never read, and connections reset (RST) the moment a request is
 * sent. Also a server around a registry's app that tells when every request on it has produced
 * its response, delivered or not, so a test knows the server has finished with a burst before it
 * resets the connection (no sleeps to guess it).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RawRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** The bytes of one keep-alive HTTP/1.1 request (no Accept-Encoding: responses come uncompressed). */
export function rawRequest({ method, path, body, headers = {} }: RawRequest): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: registry.test', 'Connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

/** A connected socket that never reads what the server sends (its receive buffers fill up). */
export async function unreadConnection(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {}); // the reset below, seen from our side
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // No 'data' listener and paused: Node reads at most one high-water mark into memory, then stops
  // reading, so the kernel's receive window closes and the server's writes back up.
  socket.pause();
  return socket;
}

/** Writes `text` and resolves once the kernel has taken it. */
export function send(socket: net.Socket, text: string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(text, (error) => (error ? reject(error) : resolve())));
}

/** Resets the connection (TCP RST, not a FIN) and waits until the socket is closed. */
export async function reset(socket: net.Socket): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.resetAndDestroy();
  await closed;
}

export interface ObservedServer {
  url: string;
  port: number;
  /** How many requests have reached the server (its request event) so far. */
  arrivedSoFar(): number;
  /** Resolves once `count` requests in total have reached the server. */
  requestsArrived(count: number): Promise<void>;
  /** How many responses the app has ended so far (res.end called), delivered or not. */
  endedSoFar(): number;
  /** Resolves once `count` responses in total have been ended. */
  responsesEnded(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `app` on a random port, counting the responses its handlers have ended. A response
 * queued behind an unread one is ended (its handler is done) long before it is sent; that is the
 * moment the pipelined attack needs, and what `responsesEnded` waits for.
 */
export async function observedServer(app: Express): Promise<ObservedServer> {
  const arrived = counter();
  const ended = counter();
  const server = http.createServer((req, res) => {
    arrived.add();
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
    res.end = ((...args: unknown[]) => {
      const result = end(...args);
      ended.add();
      return result;
    }) as typeof res.end;
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    arrivedSoFar: () => arrived.value(),
    requestsArrived: (count) => arrived.reached(count),
    endedSoFar: () => ended.value(),
    responsesEnded: (count) => ended.reached(count),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A count that can be waited on. */
function counter() {
  let value = 0;
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  return {
    value: () => value,
    add() {
      value++;
      for (const waiter of waiting.filter((w) => value >= w.count)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    reached: (count: number): Promise<void> => (value >= count ? Promise.resolve() : new Promise((resolve) => waiting.push({ count, resolve }))),
  };
}
