/**
 * GET /openapi.yaml (the contract), GET /docs (the API reference rendered from it, server-side,
 * with no scripts or inline styles: the CSP in security.ts holds), GET /docs/docs.css, and the
 * site's icon, GET /favicon.ico (browsers ask for it beside /docs and the lookup page alike).
 *
 * openapi.yaml is read and the page built once, when the router is created — never at import
 * time and never per request. The file sits at the package root, which is three levels up from
 * both src/server/routes (tsx, tests) and dist/server/routes (the build).
 */
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { parse } from 'yaml';
import { renderApiReference } from '../docs/api-reference.js';
import { favicon } from '../docs/favicon.js';
import { DOCS_STYLESHEET } from '../docs/stylesheet.js';
import { cacheBriefly } from '../http/caching.js';

const OPENAPI_FILE = new URL('../../../openapi.yaml', import.meta.url);

const DOCUMENT_PATH = '/openapi.yaml';
const STYLESHEET_PATH = '/docs/docs.css';
const FAVICON_PATH = '/favicon.ico';

/** The documentation changes only with a release; five minutes keeps a deploy visible soon. */
const DOCS_MAX_AGE_SECONDS = 300;

export function docsRouter(): Router {
  const document = readFileSync(OPENAPI_FILE, 'utf8');
  const page = renderApiReference(parse(document), { stylesheet: STYLESHEET_PATH, document: DOCUMENT_PATH });

  const router = Router();
  const serve = (path: string, type: string, body: string | Buffer) =>
    router.get(path, (_req, res) => {
      cacheBriefly(res, DOCS_MAX_AGE_SECONDS);
      res.type(type).send(body);
    });
  serve(DOCUMENT_PATH, 'application/yaml; charset=utf-8', document);
  serve('/docs', 'text/html; charset=utf-8', page);
  serve(STYLESHEET_PATH, 'text/css; charset=utf-8', DOCS_STYLESHEET);
  serve(FAVICON_PATH, 'image/x-icon', favicon());
  return router;
}
