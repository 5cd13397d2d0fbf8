/**
 * GET / and GET /u/{userId}: the read-only key lookup page (DESIGN.md §6), with its script and
 * stylesheet at /assets/page.js and /assets/page.css. The server only hands out a static page and
 * the registry's verifier key; the browser looks the identity up through the public API and
 * verifies it (src/page/). Any userId gets the page — one that is not a Peers id is shown as
 * invalid input by the script — so no path under /u/ produces an error here.
 *
 * The two pages count against the per-IP read budget like the API's GETs; the assets, like
 * /docs/docs.css, do not (they are constant and cached).
 */
import { gzipSync } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import { cacheBriefly } from '../http/caching.js';
import type { RateLimiters } from '../http/rate-limits.js';
import type { LogKey } from '../../node/log-key.js';
import { loadPageScript } from '../page/assets.js';
import { PAGE_SCRIPT_PATH, PAGE_STYLESHEET_PATH, renderLookupPage } from '../page/html.js';
import { PAGE_STYLESHEET } from '../page/stylesheet.js';

/** The page changes only with a release or a new log key; five minutes, as for /docs. */
const PAGE_MAX_AGE_SECONDS = 300;

export function pageRouter(logKey: LogKey, limits: RateLimiters, script: string = loadPageScript()): Router {
  const page = renderLookupPage({ vkey: logKey.vkey });
  // The script carries the SDK (about 600 kB); gzipped once here, it is a quarter of that on a phone.
  const gzippedScript = gzipSync(script, { level: 9 });
  const router = Router();
  const send = (type: string, body: string) => (_req: Request, res: Response) => {
    cacheBriefly(res, PAGE_MAX_AGE_SECONDS);
    res.type(type).send(body);
  };
  const html = send('text/html; charset=utf-8', page);
  router.get('/', ...limits.ipReads, html);
  router.get('/u/:userId', ...limits.ipReads, html);
  router.get(PAGE_SCRIPT_PATH, (req, res) => {
    cacheBriefly(res, PAGE_MAX_AGE_SECONDS);
    res.vary('Accept-Encoding').type('text/javascript; charset=utf-8');
    if (req.acceptsEncodings('gzip', 'identity') === 'gzip') res.set('Content-Encoding', 'gzip').send(gzippedScript);
    else res.send(script);
  });
  router.get(PAGE_STYLESHEET_PATH, send('text/css; charset=utf-8', PAGE_STYLESHEET));
  return router;
}
