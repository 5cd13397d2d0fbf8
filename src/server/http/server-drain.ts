/**
 * What a stopping server must still wait for, or must not wait for, beyond what `server.close()`
 * knows (service.ts, destroy()):
 *
 * - Requests whose client hung up while they were at work. Node forgets them once their socket
 *   closes, so `server.close()` can finish while their handlers still run statements; closing the
 *   database then made their next statement meet a closed pool ("Cannot use a pool after calling
 *   end"). They are handled to the end (nobody reads the answer), and the database closes after.
 * - Connections that never sent a byte (a browser's or a load balancer's preconnect).
 *   `closeIdleConnections()` leaves them (Node counts a new connection active, not idle, so that
 *   `headersTimeout` covers it), and `server.close()` stops the check that runs `headersTimeout`:
 *   they held a graceful stop until its 30 s cut, which cut the requests still in flight too.
 *
 * Everything is kept per connection, because a connection's 'close' is the one event Node always
 * emits: a response queued behind another on a pipelined connection gets no socket until the one
 * ahead of it has finished, so when the connection closes first it never emits 'close' nor
 * 'finish' (Node 20; write-budgets.ts meets the same). Nothing here outlives its connection, except
 * the handlers still at work for a client that is gone (orphans), each until it ends or destroys
 * its response, and in any case no longer than ORPHAN_FORGOTTEN_MS.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long an orphan is remembered in normal operation. Its statements end with its transaction
 * (db/database.ts, TRANSACTION_TIMEOUT_MS, 30 s); one that has neither ended nor destroyed its
 * response by then (a handler that dropped it) would otherwise be held for the life of the process.
 */
export const ORPHAN_FORGOTTEN_MS = 60_000;

interface Connection {
  /**
   * Its responses not yet seen ended: the one being written and those queued behind it. The ended
   * ones are dropped at its next request (normally the one before it) and all at its close, so an
   * idle keep-alive connection holds its last response (and its request) until then: no longer
   * than the connection itself, which keepAliveTimeout bounds.
   */
  readonly responses: ServerResponse[];
  /** Whether it has delivered a request. */
  served: boolean;
  /** When it connected (performance.now()). */
  readonly openedAt: number;
  /** Whether the previous sweep found it without a byte received. */
  seenSilent: boolean;
}

export class ServerDrain {
  private readonly connections = new Map<Socket, Connection>();
  /** Handlers still at work whose client has gone, with when they were found so (performance.now()), oldest first. */
  private readonly orphans = new Map<ServerResponse, number>();
  /** Set while a stop waits for the orphans: called when the last one settles. */
  private settledAll: (() => void) | null = null;

  /** `forgetOrphansMs`: ORPHAN_FORGOTTEN_MS (tests shorten it). */
  constructor(private readonly forgetOrphansMs = ORPHAN_FORGOTTEN_MS) {}

  /**
   * The server's request listener (http.createServer(options, drain.handler(app))): notes each
   * response on its connection, then hands the request to `app`. One Map lookup and an array push
   * per request, no listener and no property added to the response.
   */
  handler(app: RequestListener): RequestListener {
    const connections = this.connections;
    return (req: IncomingMessage, res: ServerResponse) => {
      const connection = connections.get(req.socket as Socket);
      if (connection !== undefined) {
        const responses = connection.responses;
        if (responses.length > 0) dropEnded(responses);
        responses.push(res);
        connection.served = true;
      }
      app(req, res);
    };
  }

  /**
   * Follows `server`'s connections; call before it listens. `secure`: an https server, whose
   * requests arrive on the TLS socket, not on the TCP one.
   */
  watch(server: Server, secure: boolean): void {
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
      const connection: Connection = { responses: [], served: false, openedAt: performance.now(), seenSilent: false };
      this.connections.set(socket, connection);
      // Registered before Node's own 'close' listener of any response (assignSocket), so a
      // response destroyed here was destroyed by its handler, not marked so by its client's hang-up.
      socket.on('close', () => {
        this.connections.delete(socket);
        for (const res of connection.responses) if (!res.writableEnded && !res.destroyed) this.adopt(res);
      });
    });
  }

  /**
   * Closes the connections that have delivered no request and will not (call while the server is
   * closing, at each sweep): those that had received no byte at this sweep and at the previous one
   * (a request already on its way has been read by then), and those older than the server's
   * `headersTimeout` (a request still incomplete then is refused by Node while it listens).
   */
  closeSilent(headersTimeoutMs: number): void {
    const now = performance.now();
    for (const [socket, connection] of this.connections) {
      if (connection.served) continue;
      const silent = socket.bytesRead === 0;
      if ((silent && connection.seenSilent) || (headersTimeoutMs > 0 && now - connection.openedAt > headersTimeoutMs)) socket.destroy();
      else connection.seenSilent = silent;
    }
  }

  /** What the drain holds: connections open, and handlers at work for a client that is gone. */
  holding(): { connections: number; responses: number; orphans: number } {
    let responses = 0;
    for (const connection of this.connections.values()) responses += connection.responses.length;
    return { connections: this.connections.size, responses, orphans: this.orphans.size };
  }

  /**
   * Once the server has closed (every connection gone): resolves when every request whose client
   * hung up has been handled to its end, or after `maxMs`, with how many are still at work.
   */
  async orphansFinished(maxMs: number): Promise<number> {
    // A connection's end reaches the server (which then reports itself closed) a tick before its
    // 'close' reaches us: the responses not yet ended here are orphans too.
    for (const connection of this.connections.values()) for (const res of connection.responses) if (!res.writableEnded && !res.destroyed) this.adopt(res);
    if (this.orphans.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.settledAll = resolve;
      timer = setTimeout(resolve, maxMs);
      // A stop whose caller has gone does not keep the process alive for it.
      timer.unref();
    });
    clearTimeout(timer);
    this.settledAll = null;
    return this.orphans.size;
  }

  /** The handler ends or destroys the response it no longer has a client for; until then it is at work. */
  private adopt(res: ServerResponse): void {
    if (this.orphans.has(res)) return;
    const now = performance.now();
    // Oldest first: the ones past the bound are forgotten, at most one pass over them.
    for (const [old, adoptedAt] of this.orphans) {
      if (now - adoptedAt < this.forgetOrphansMs) break;
      this.orphans.delete(old);
    }
    this.orphans.set(res, now);
    const settle = () => {
      if (this.orphans.delete(res) && this.orphans.size === 0) this.settledAll?.();
    };
    const { end, destroy } = res;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      settle();
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    res.destroy = function (this: ServerResponse, error?: Error) {
      settle();
      return destroy.call(this, error);
    };
  }
}

/** Drops the ended responses, keeping the order of the others. */
function dropEnded(responses: ServerResponse[]): void {
  let kept = 0;
  for (let i = 0; i < responses.length; i++) {
    const res = responses[i]!;
    if (!res.writableEnded) responses[kept++] = res;
  }
  responses.length = kept;
}
