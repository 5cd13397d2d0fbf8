/**
 * Errors as RFC 9457 problem details with a stable machine `code` (DESIGN.md §6). A 5xx body
 * never carries internals: the detail is logged with the request id, the client gets the id.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ERROR_STATUS, ProtocolError, type ErrorCode } from '../../protocol/errors.js';
import { JsonParseError } from '../../protocol/json.js';
import { isDatabaseUnavailable, isUniqueViolation } from '../database-errors.js';

export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId?: string;
}

/**
 * A refusal whose problem details carry extension members (RFC 9457 §3.2) besides the standard
 * ones: a 404 of a lookup carries the checkpoint and the map's proof of absence (DESIGN.md §6).
 */
export class ProblemError extends ProtocolError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>>,
  ) {
    super(code, message);
    this.name = 'ProblemError';
  }
}

export function sendProblem(res: Response, code: ErrorCode, detail: string, extensions: Readonly<Record<string, unknown>> = {}): void {
  const status = ERROR_STATUS[code];
  const body: Problem & Record<string, unknown> = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail };
  // An extension never stands in for a standard member.
  for (const [name, value] of Object.entries(extensions)) if (!Object.hasOwn(body, name)) body[name] = value;
  const requestId = res.locals['requestId'] as string | undefined;
  if (requestId !== undefined) body.requestId = requestId;
  res.locals['problemCode'] = code; // for the request log and metrics
  res.status(status).set('Cache-Control', 'no-store').type('application/problem+json').send(JSON.stringify(body));
}

/** Errors that body-parser and Express raise for bad requests carry a 4xx `status` and a `type`. */
function clientErrorOf(error: unknown): { code: ErrorCode; detail: string } | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (type === 'entity.too.large') return { code: 'PAYLOAD_TOO_LARGE', detail: 'the request body is over the 128 KiB limit' };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { code: 'MALFORMED', detail: `the request could not be read (${typeof type === 'string' ? type : status})` };
  }
  return null;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  // Four parameters, unused `_next` included: Express takes a handler as an error handler by its arity.
  return (error: unknown, req: Request, res: Response, _next) => {
    if (res.headersSent) {
      // Too late for a problem: the answer is cut (as Express's own handler would, by destroying the
      // socket), through the response, so that a stop waiting for this handler sees it finish (server-drain.ts).
      logger.error({ err: error, requestId: res.locals['requestId'], method: req.method, path: req.path }, 'error after the answer began');
      res.destroy();
      return;
    }
    if (error instanceof ProblemError) return sendProblem(res, error.code, error.message, error.extensions);
    if (error instanceof ProtocolError) return sendProblem(res, error.code, error.message);
    if (error instanceof JsonParseError) {
      return error.kind === 'syntax'
        ? sendProblem(res, 'MALFORMED', `the body is not a JSON object: ${error.message} at offset ${error.position}`)
        : sendProblem(res, 'INVALID_RECORD', `the body holds a value the protocol does not allow: ${error.message}`);
    }
    const clientError = clientErrorOf(error);
    if (clientError !== null) return sendProblem(res, clientError.code, clientError.detail);
    if (isUniqueViolation(error)) return sendProblem(res, 'PREV_MISMATCH', 'the state moved while this request was being written; read it again and retry');
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, requestId: res.locals['requestId'] }, 'database unavailable');
      res.set('Retry-After', '2');
      return sendProblem(res, 'UNAVAILABLE', 'the registry cannot reach its database right now; retry shortly');
    }
    logger.error({ err: error, requestId: res.locals['requestId'], method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, 'INTERNAL', 'an internal error occurred; it has been logged with this request id');
  };
}

export const notFound: RequestHandler = (req, res) => sendProblem(res, 'NOT_FOUND', `no route for ${req.method} ${req.path}`);
