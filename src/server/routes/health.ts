/** Liveness and readiness for orchestrators and load balancers, and Prometheus metrics. */
import { Router } from 'express';
import type { Database } from '../../db/database.js';
import type { Metrics } from '../metrics.js';
import { noStore } from '../http/caching.js';
import { sendProblem } from '../http/problem.js';
import type { WitnessStatus } from '../log/witness-submitter.js';

/**
 * `notReady`: a further readiness condition (a mirror's: synced, not stopped at a fork); a reason, or null.
 * `witnesses`: their state, shown in the ready answer; a witness that is down never makes the
 * registry unready (writes do not wait for witnesses).
 */
export function healthRouter(db: Database, metrics: Metrics, notReady?: () => string | null, witnesses?: { status(): WitnessStatus[] }): Router {
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
    res.json(witnesses === undefined ? { status: 'ready' } : { status: 'ready', witnesses: witnesses.status() });
  });
  router.get('/metrics', async (_req, res) => {
    noStore(res);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
