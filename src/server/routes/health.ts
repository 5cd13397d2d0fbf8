/** Liveness and readiness for orchestrators and load balancers, and Prometheus metrics. */
import { Router } from 'express';
import type { Database } from '../../db/database.js';
import type { Metrics } from '../metrics.js';
import { noStore } from '../http/caching.js';
import { sendProblem } from '../http/problem.js';

/** `notReady`: a further readiness condition (a mirror's: synced, not stopped at a fork); a reason, or null. */
export function healthRouter(db: Database, metrics: Metrics, notReady?: () => string | null): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    noStore(res);
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await db.ping();
    } catch {
      res.set('Retry-After', '2');
      return sendProblem(res, 'UNAVAILABLE', 'the database is not reachable');
    }
    const reason = notReady?.() ?? null;
    if (reason !== null) return sendProblem(res, 'UNAVAILABLE', reason);
    noStore(res);
    res.json({ status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    noStore(res);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
