/** Security headers (helmet) and CORS for the public API. */
import type { RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * A strict CSP for everything served: only same-origin scripts, styles, images and connections,
 * no inline code, no framing. The lookup page and /docs are built to live within it, so no
 * directive needs a per-request nonce.
 */
export function securityHeaderOptions(options: { hsts: boolean }): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        manifestSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    // Browsers of any origin may read the public API (peers' web apps look keys up).
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    strictTransportSecurity: options.hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  };
}

/** One header helmet writes (a value) or removes (null), in helmet's order. */
type HeaderWrite = readonly [name: string, value: string | null];

/**
 * What helmet writes on a response with these options, found by running helmet itself once over a
 * response that only records: helmet stays the source of truth for names and values, and the
 * per-request cost is one middleware instead of helmet's chain (13 functions, 12 without HSTS). Sound only while no
 * header depends on the request (a CSP nonce would), so helmet is run twice and must write the
 * same both times, synchronously, touching nothing but setHeader and removeHeader.
 */
export function helmetHeaderWrites(options: { hsts: boolean }): HeaderWrite[] {
  const middleware = helmet(securityHeaderOptions(options));
  const run = (): HeaderWrite[] => {
    const writes: HeaderWrite[] = [];
    let done = false;
    const recorder = {
      setHeader(name: string, value: unknown) {
        if (typeof value !== 'string') throw new Error(`helmet wrote ${name} as a ${typeof value}, not a string`);
        writes.push([name, value]);
      },
      removeHeader(name: string) {
        writes.push([name, null]);
      },
    };
    middleware({} as never, recorder as unknown as Response, (error?: unknown) => {
      if (error !== undefined) throw error;
      done = true;
    });
    if (!done) throw new Error('helmet did not finish synchronously: its headers cannot be computed once');
    return writes;
  };
  const writes = run();
  if (JSON.stringify(run()) !== JSON.stringify(writes)) throw new Error('helmet wrote different headers on two runs: some vary per request');
  return writes;
}

/** The security headers of every response, as helmet writes them (helmetHeaderWrites). */
export function securityHeaders(options: { hsts: boolean }): RequestHandler {
  const writes = helmetHeaderWrites(options);
  return (_req, res, next) => {
    for (const [name, value] of writes) {
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    next();
  };
}

/**
 * The API is public and uses no cookies or credentials, so any origin may call it. Preflights are
 * answered here; writes authenticate themselves by their signatures.
 */
export const cors: RequestHandler = (req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, RateLimit, RateLimit-Policy, Retry-After');
  if (req.method === 'OPTIONS') {
    res.set('Access-Control-Allow-Methods', 'GET, POST, PUT');
    res.set('Access-Control-Allow-Headers', 'Content-Type');
    res.set('Access-Control-Max-Age', '86400');
    res.status(204).end();
    return;
  }
  next();
};
