/** /peers/v1: peerkeys as a Peers https anchor (DESIGN.md §10). A read, under the per-address read budget. */
import { Router } from 'express';
import { ANCHOR_MAX_AGE_SECONDS } from '../../protocol/peers-anchor.js';
import { cacheBriefly } from '../http/caching.js';
import { pathParam } from '../http/query.js';
import type { RateLimiters } from '../http/rate-limits.js';
import type { AnchorDocuments } from '../peers/anchor-documents.js';

export function peersRouter(documents: AnchorDocuments, limits: RateLimiters): Router {
  const router = Router();

  // Never a redirect (a Peers host abstains on one); errors are problem documents, which are no
  // anchor documents, so a Peers host vetoes on a 404 as the Peers rule says.
  router.get('/peers/v1/:userId.json', ...limits.ipReads, async (req, res) => {
    const json = await documents.documentJson(pathParam(req, 'userId'));
    cacheBriefly(res, ANCHOR_MAX_AGE_SECONDS);
    res.type('application/json').send(json);
  });

  return router;
}
