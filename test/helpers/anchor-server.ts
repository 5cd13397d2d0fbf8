/**
 * A plain HTTP server standing in for Peers https anchors (static anchor documents, and anchors
 * that misbehave): each path answers as the test says. Handlers may never answer (a hanging
 * anchor) or stream without end; `close()` ends every open connection.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type AnchorHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface AnchorServer {
  url: string;
  /** Sets what `path` answers. */
  route(path: string, handler: AnchorHandler): void;
  /** Requests seen per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A handler that serves `body` as JSON with the Peers Cache-Control. */
export function json(body: unknown, status = 200): AnchorHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

export async function startAnchorServer(): Promise<AnchorServer> {
  const routes = new Map<string, AnchorHandler>();
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such document');
      return;
    }
    handler(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    route: (path, handler) => void routes.set(path, handler),
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A URL on 127.0.0.1 where nothing listens: port 9 (discard), which no test machine serves, so it
 * fails at once; not a port just freed, which another process may take meanwhile. fetch does not
 * even try it (port 9 is on the Fetch standard's blocked list): a network error all the same, which
 * is what the SDK is tested on. node:http connects, and is refused (ECONNREFUSED).
 */
export const DEAD_URL = 'http://127.0.0.1:9';
