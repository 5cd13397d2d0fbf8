/**
 * What a stopping server must still wait for, or must not wait for, beyond what `server.close()`
 * knows (service.ts, destroy()):
 *
 * - Requests whose client hung up while they were at work. Node forgets them once their socket
 *   closes, so `server.close()` can finish while their handlers still run statements; closing the
 *   database then made their next statement meet a closed pool ("Cannot use a pool after calling
 *   end"). They are handled to the end (nobody reads the answer), and the database closes after.
 * - Connections that never sent a byte (a browser's or a load balancer's preconnect). Node counts
 *   them neither idle (`closeIdleConnections()` leaves them) nor busy (no header timeout runs), so
 *   they held a graceful stop until its 30 s cut, which cut the requests still in flight too. No
 *   request can be lost by closing them: none has begun.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export class ServerDrain {
  /** Connections that have not yet delivered a request. */
  private readonly silent = new Set<Socket>();
  /** Responses whose connection has not closed. */
  private readonly active = new Set<ServerResponse>();
  /** Handlers still at work whose client has gone: each settles when its response is ended. */
  private readonly orphans = new Map<ServerResponse, Promise<void>>();

  /** `secure`: an https server, whose requests arrive on the TLS socket, not on the TCP one. */
  constructor(server: Server, secure: boolean) {
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.silent.add(socket);
      socket.once('close', () => this.silent.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.silent.delete(req.socket);
      this.active.add(res);
      res.once('close', () => {
        this.active.delete(res);
        if (!res.writableEnded) this.adopt(res);
      });
    });
  }

  /** Closes the connections that have sent nothing yet (call while the server is closing). */
  closeSilent(): void {
    for (const socket of this.silent) if (socket.bytesRead === 0) socket.destroy();
  }

  /**
   * Once the server has closed (every connection gone): resolves when every request whose client
   * hung up has been handled to its end, or after `maxMs`.
   */
  async orphansFinished(maxMs: number): Promise<void> {
    // A connection's end reaches the server (which then reports itself closed) a tick before its
    // response hears of it: the responses not yet ended here are orphans too.
    for (const res of this.active) if (!res.writableEnded) this.adopt(res);
    if (this.orphans.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxMs)));
    await Promise.race([Promise.all(this.orphans.values()), cut]);
    clearTimeout(timer);
  }

  /** The handler ends the response it no longer has a client for; until then it is at work. */
  private adopt(res: ServerResponse): void {
    if (this.orphans.has(res)) return;
    const finished = new Promise<void>((resolve) => {
      const end = res.end;
      res.end = function (this: ServerResponse, ...args: unknown[]) {
        resolve();
        return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse['end'];
    });
    this.orphans.set(res, finished);
    void finished.then(() => this.orphans.delete(res));
  }
}
