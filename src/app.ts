/**
 * createApp(deps) → the Express application. No I/O here and nothing built at import time: the
 * service (service.ts) opens the database and builds the parts, tests pass their own.
 */
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { DeviceService } from './server/devices/device-service.js';
import type { GroupService } from './server/group/group-service.js';
import type { IdentityService } from './server/identity/identity-service.js';
import { pinClientAddress } from './server/http/client-address.js';
import { errorHandler, notFound } from './server/http/problem.js';
import { readOnly } from './server/http/read-only.js';
import type { RateLimiters } from './server/http/rate-limits.js';
import { requestLog } from './server/http/request-log.js';
import { cors, securityHeaders } from './server/http/security.js';
import type { LogKey } from './node/log-key.js';
import type { LogReader } from './server/log/log-reader.js';
import type { TileReader } from './server/log/tile-reader.js';
import { tilesRouter } from './server/routes/tiles.js';
import { docsRouter } from './server/routes/docs.js';
import { groupsRouter } from './server/routes/groups.js';
import type { Metrics } from './server/metrics.js';
import { healthRouter } from './server/routes/health.js';
import type { WitnessStatus } from './server/log/witness-submitter.js';
import { logRouter } from './server/routes/log.js';
import { pageRouter } from './server/routes/page.js';
import { peersRouter } from './server/routes/peers.js';
import { AnchorDocuments } from './server/peers/anchor-documents.js';
import { usersRouter } from './server/routes/users.js';

export interface AppDeps {
  config: Config;
  db: Database;
  logKey: LogKey;
  identities: IdentityService;
  devices: DeviceService;
  groups: GroupService;
  log: LogReader;
  /** The log as C2SP tlog-tiles (DESIGN.md §5.3). */
  tiles: TileReader;
  limits: RateLimiters;
  logger: Logger;
  metrics: Metrics;
  /** The witnesses' state, for /readyz (set when the registry has witnesses). */
  witnesses?: { status(): WitnessStatus[] };
  /** Set on a mirror (src/mirror): reads only, and readiness includes the follower's state. */
  mirror?: MirrorDeps;
}

/** What the app needs to know when it serves a mirror's copy of another registry's log. */
export interface MirrorDeps {
  /** The registry the mirror follows: writes belong there. */
  registryUrl: string;
  /** Why the mirror is not ready (not synced yet, stopped at a fork), or null when it is. */
  notReady: () => string | null;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // A hop count, never `true`: only that many proxies' X-Forwarded-For entries are believed.
  app.set('trust proxy', deps.config.http.trustProxy);
  // Lookups and uncompressed entry bundles bring their ETags, made once where they are kept by the same rule
  // (http/caching.ts: strongEtag, sendJson): change this setting and that rule together
  // (test/integration/openapi.test.ts and embedded-lookups.test.ts check that they agree).
  app.set('etag', 'strong');
  app.set('json spaces', 0);

  app.use(requestLog(deps.logger, deps.metrics));
  // Before anything that waits: the address is only known while the client's socket is open.
  app.use(pinClientAddress(deps.logger));
  app.use(securityHeaders({ hsts: deps.config.http.tls !== null || deps.config.http.publicUrl.startsWith('https:') }));
  app.use(cors);
  if (deps.mirror !== undefined) app.use(readOnly(deps.mirror.registryUrl));

  // The API's routers first, lookups' ahead of all: a request walks the routers in this order, and
  // no two of them share a path, so the order decides only how many routes a request is tried against.
  app.use(usersRouter(deps.identities, deps.devices, deps.limits));
  app.use(groupsRouter(deps.groups, deps.limits));
  app.use(logRouter(deps.log, deps.logKey, deps.limits));
  app.use(tilesRouter(deps.tiles, deps.limits));
  app.use(healthRouter(deps.db, deps.metrics, deps.mirror?.notReady, deps.witnesses));
  app.use(peersRouter(new AnchorDocuments(deps.db, deps.config.http.publicUrl), deps.limits));
  app.use(docsRouter());
  app.use(pageRouter(deps.logKey, deps.limits));

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
