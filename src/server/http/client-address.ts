/**
 * The client's address, read once, when the request arrives.
 *
 * Node forgets a peer's address once its socket closes: `req.ip` (and `req.socket.remoteAddress`)
 * is undefined from then on, and express-rate-limit's key generator throws on that. A request can
 * outlive its client's socket, so nothing that runs later (the per-address rate limits, after an
 * await) asks the socket: they use the address pinned here, by the app's first middleware.
 *
 * A client that sends a request and resets the connection at once is usually gone before the
 * request reaches the app (Node parses what the socket delivered, and the reset has closed the
 * socket by then). There is nobody to answer, so such a request is not handled at all: it is
 * recorded with the status 499 ("client closed request", nginx's convention) and logged at debug
 * level, since a client's hang-up is not a server fault.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

const PINNED = 'clientAddress';

/** Status recorded for a request whose client left before it could be handled. */
export const CLIENT_CLOSED_REQUEST = 499;

/** The key of clients whose open socket has no address (not a TCP socket); they share one budget. */
const UNKNOWN_ADDRESS = 'unknown';

/** The address pinned at arrival, or else (an app built without `pinClientAddress`) the socket's, if it is still open. */
export function clientAddress(req: Request, res: Response): string | undefined {
  const pinned = res.locals[PINNED] as string | undefined;
  return pinned ?? req.ip;
}

/**
 * Middleware: pins the client's address for the rest of the request, or ends a request whose
 * client is already gone without handling it. Idempotent, so a router may put it in front of
 * anything that needs the address, and the app puts it first of all.
 */
export function pinClientAddress(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (res.locals[PINNED] !== undefined) return next();
    const address = req.ip;
    if (address !== undefined || !req.socket.destroyed) {
      res.locals[PINNED] = address ?? UNKNOWN_ADDRESS;
      return next();
    }
    logger.debug({ requestId: res.locals['requestId'], method: req.method, path: req.path }, 'client closed the connection before the request was handled');
    res.statusCode = CLIENT_CLOSED_REQUEST;
    res.end();
  };
}
