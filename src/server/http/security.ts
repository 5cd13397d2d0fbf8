/** Security headers (helmet) and CORS for the public API. */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * A strict CSP for everything served: only same-origin scripts, styles, images and connections,
 * no inline code, no framing. The lookup page and /docs are built to live within it.
 */
export function securityHeaders(options: { hsts: boolean }): RequestHandler {
  return helmet({
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
  });
}

/**
 * The API is public and uses no cookies or credentials, so any origin may call it. Preflights are
 * answered here; writes authenticate themselves by their signatures.
 */
export const cors: RequestHandler = (req, res, next) => {
  res.set('Access-Control-Allow-Origin', '*');
  res.set('Access-Control-Expose-Headers', 'ETag, RateLimit, RateLimit-Policy, Retry-After');
  if (req.method === 'OPTIONS') {
    res.set('Access-Control-Allow-Methods', 'GET, POST, PUT');
    res.set('Access-Control-Allow-Headers', 'Content-Type');
    res.set('Access-Control-Max-Age', '86400');
    res.status(204).end();
    return;
  }
  next();
};
