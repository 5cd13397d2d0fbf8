/** /v1/log and /v1/registry: the transparency log's public read API (DESIGN.md §5–6). */
import { Router } from 'express';
import { toBase64Url } from '../../protocol/encoding.js';
import { ProtocolError } from '../../protocol/errors.js';
import { cacheBriefly, cacheImmutable } from '../http/caching.js';
import { integerParam } from '../http/query.js';
import type { RateLimiters } from '../http/rate-limits.js';
import type { LogKey } from '../../node/log-key.js';
import type { LogReader } from '../log/log-reader.js';
import { TILE_PREFIX } from './tiles.js';

export const REGISTRY_VERSION = '1';

export function logRouter(log: LogReader, key: LogKey, limits: RateLimiters): Router {
  const router = Router();

  router.get('/v1/registry', ...limits.ipReads, (_req, res) => {
    cacheBriefly(res, 300);
    res.json({ origin: key.origin, publicKey: toBase64Url(key.noteKey.publicKey), vkey: key.vkey, version: REGISTRY_VERSION, tiles: TILE_PREFIX });
  });

  router.get('/v1/log/checkpoint', ...limits.ipReads, async (req, res) => {
    // ?cosigned=k: the newest checkpoint with k witnesses' cosignatures (DESIGN.md §5.4).
    const cosigned = req.query['cosigned'] === undefined ? 0 : integerParam(req, 'cosigned');
    if (cosigned > 64) throw new ProtocolError('MALFORMED', 'cosigned must be at most 64');
    const checkpoint = cosigned === 0 ? await log.latest() : await log.latestCosigned(cosigned);
    cacheBriefly(res);
    res.type('text/plain; charset=utf-8').send(checkpoint.note);
  });

  router.get('/v1/log/proof/inclusion', ...limits.ipReads, async (req, res) => {
    const proof = await log.inclusionProof(integerParam(req, 'index'), integerParam(req, 'size'));
    cacheImmutable(res);
    res.json(proof);
  });

  router.get('/v1/log/proof/consistency', ...limits.ipReads, async (req, res) => {
    const proof = await log.consistencyProof(integerParam(req, 'from'), integerParam(req, 'to'));
    cacheImmutable(res);
    res.json(proof);
  });

  router.get('/v1/log/entries', ...limits.ipReads, async (req, res) => {
    const page = await log.entries(integerParam(req, 'start'), integerParam(req, 'limit', 100));
    // A page the log goes on after holds entries that exist and never change; the last page grows.
    if (page.continues) cacheImmutable(res);
    else cacheBriefly(res);
    res.type('application/json').send(page.json);
  });

  return router;
}
