/**
 * Cache-Control per DESIGN.md §9: immutable answers (entries by index, proofs between fixed sizes)
 * may be cached by any HTTP cache for a year; mutable ones (latest checkpoint, lookups) briefly.
 * Express adds ETags to every body it sends, unless the body comes with its own (sendJson).
 */
import { createHash } from 'node:crypto';
import type { Response } from 'express';

/** The Cache-Control of mutable answers, unless a route says otherwise. */
const BRIEFLY = 'public, max-age=5';

export function cacheImmutable(res: Response): void {
  res.set('Cache-Control', 'public, max-age=31536000, immutable');
}

export function cacheBriefly(res: Response, seconds = 5): void {
  res.set('Cache-Control', seconds === 5 ? BRIEFLY : `public, max-age=${seconds}`);
}

export function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
}

/**
 * The strong ETag Express gives a body (its `etag` setting "strong": the length in hex and the
 * first 27 characters of the SHA-1's base64), for bytes that are sent many times: worked out
 * once, where they are kept, rather than on every send. The same value Express would send, so a
 * client's cached copy revalidates whichever way the answer was made. SHA-1 only tells copies
 * apart here; an ETag is no integrity check (the answer's proofs and signatures are).
 */
export function strongEtag(body: Uint8Array): string {
  if (body.length === 0) return '"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';
  return `"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').substring(0, 27)}"`;
}

/**
 * Sends a mutable JSON answer that comes with its ETag (cached briefly): Express then skips its
 * own hash, and still answers a matching If-None-Match with 304 (res.send's freshness check).
 * The ETag is strongEtag's whatever the app's `etag` setting is: app.ts sets it to "strong" so
 * that both agree, and tests check it (test/integration/openapi.test.ts).
 */
export function sendJson(res: Response, answer: { body: Buffer; etag: string }): void {
  res.setHeader('Cache-Control', BRIEFLY);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('ETag', answer.etag);
  res.send(answer.body);
}
