/**
 * A mirror (src/mirror) serves reads only. Every request that could write — any method but GET
 * and HEAD (CORS preflights are answered before this) — is refused here, before any router sees
 * it, so every write route, present or future, is covered in one place.
 *
 * The answer is 404 NOT_FOUND, not 405: the wire contract has no code for 405 (DESIGN.md §6), and
 * on a mirror no resource takes writes. The detail names the registry that does.
 */
import type { RequestHandler } from 'express';
import { sendProblem } from './problem.js';

export function readOnly(registryUrl: string): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    sendProblem(res, 'NOT_FOUND', `this is a read-only mirror of ${registryUrl}: send ${req.method} ${req.path} to that registry`);
  };
}
