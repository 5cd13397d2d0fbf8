/**
 * The log as C2SP tlog-tiles under the prefix /v1/log (DESIGN.md §5.3): `<prefix>/checkpoint` is
 * GET /v1/log/checkpoint (routes/log.ts); here `<prefix>/tile/<L>/<N>[.p/<W>]` and
 * `<prefix>/tile/entries/<N>[.p/<W>]`.
 *
 * A path that is not exactly a tile's spelling is 404, as it would be from a copy of the tiles on
 * disk or in an object store: the registry answers like the static tree it stands for.
 */
import { Router, type Request, type Response } from 'express';
import { ProtocolError } from '../../protocol/errors.js';
import { parseTilePath } from '../../protocol/tiles.js';
import { cacheBriefly, cacheImmutable } from '../http/caching.js';
import type { RateLimiters } from '../http/rate-limits.js';
import type { TileReader } from '../log/tile-reader.js';

export const TILE_PREFIX = '/v1/log';

/** How long a partial tile may be cached: it stays true, but the full tile replaces it. */
const PARTIAL_TILE_SECONDS = 60;

export function tilesRouter(tiles: TileReader, limits: RateLimiters): Router {
  const router = Router();
  const serve = async (req: Request, res: Response) => {
    const path = req.path.slice(`${TILE_PREFIX}/tile/`.length);
    const tile = parseTilePath(path);
    if (tile === null) throw new ProtocolError('NOT_FOUND', `${req.path} is not a tile path (c2sp.org/tlog-tiles)`);
    const { body, bundle, full } = await tiles.read(tile);
    if (full) cacheImmutable(res);
    else cacheBriefly(res, PARTIAL_TILE_SECONDS);
    res.type('application/octet-stream');
    if (bundle === undefined) return void res.send(await body());
    // Entry bundles SHOULD be compressed at the HTTP layer (tlog-tiles): gzip for clients that take it.
    res.vary('Accept-Encoding');
    if (req.acceptsEncodings('gzip', 'identity') === 'gzip') return void res.set('Content-Encoding', 'gzip').send(bundle.gzipped);
    // Uncompressed: the ETag Express would give the bytes, and their length, were kept with the
    // bundle, so a HEAD or a matching If-None-Match is answered without inflating it (res.send
    // with no body makes the 304, and strips from it what it strips from any 304).
    res.set('ETag', bundle.etag);
    if (req.method === 'HEAD' || req.fresh) return void res.set('Content-Length', String(bundle.length)).send();
    res.send(await body());
  };
  // Entry bundles first: `entries` would otherwise be taken for a level (and refused as one).
  router.get(`${TILE_PREFIX}/tile/entries/*index`, ...limits.ipReads, serve);
  router.get(`${TILE_PREFIX}/tile/:level/*index`, ...limits.ipReads, serve);
  return router;
}
