/**
 * A request id on every request (taken from X-Request-Id when it looks like one, else new), echoed
 * in the response and in problem details; one structured log line per request; request metrics.
 * Bodies, keys and signatures are never logged.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestLog(logger: Logger, metrics?: Metrics): RequestHandler {
  return (req, res, next) => {
    // Node lower-cases incoming header names: the same value req.get() returns, without its lookup.
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals['requestId'] = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const code = res.locals['problemCode'] as string | undefined;
      // The route pattern, never the raw path: metric labels must not grow with every userId.
      const route = req.route === undefined ? 'unmatched' : `${req.baseUrl}${String((req.route as { path: unknown }).path)}`;
      metrics?.requests.inc({ method: req.method, route, status: res.statusCode });
      metrics?.requestSeconds.observe({ method: req.method, route }, ms / 1000);
      if (code !== undefined) metrics?.refused.inc({ code });
      // The line is built only when it will be written: at the usual level (info) a request's
      // debug line (any status below 500) is dropped, and building it (req.path parses the URL) was most of this.
      const failed = res.statusCode >= 500;
      if (!failed && !logger.isLevelEnabled('debug')) return;
      const line = { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10, ...(code !== undefined ? { code } : {}) };
      if (failed) logger.error(line, 'request failed');
      else logger.debug(line, 'request');
    });
    next();
  };
}
