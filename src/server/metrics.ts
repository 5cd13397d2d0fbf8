/**
 * Prometheus metrics (GET /metrics): requests and their latency per route, accepted and refused
 * writes (refusals by error code, so a burst of BAD_SIGNATURE is visible), log appends and batch
 * sizes, lookup rounds by the database they read (the read replica or the primary), and the log's
 * size read from the database at scrape time (true for every process).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import { latestCheckpoint } from '../db/log-repository.js';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'method' | 'route'>;
  refused: Counter<'code'>;
  appended: Counter<'kind'>;
  batchSize: Histogram;
  /** Lookup rounds by the database they were read from, and why (server/log/lookup-reads.ts). */
  lookupRounds: Counter<'database' | 'reason'>;
}

export function createMetrics(db: Database): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'peerkeys_process_' });
  const metrics: Metrics = {
    registry,
    requests: new Counter({ name: 'peerkeys_http_requests_total', help: 'HTTP requests answered', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    requestSeconds: new Histogram({
      name: 'peerkeys_http_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    refused: new Counter({ name: 'peerkeys_refused_total', help: 'Requests refused, by problem code (verification failures among them)', labelNames: ['code'], registers: [registry] }),
    appended: new Counter({ name: 'peerkeys_log_appended_total', help: 'Records appended to the transparency log by this process', labelNames: ['kind'], registers: [registry] }),
    batchSize: new Histogram({ name: 'peerkeys_log_batch_size', help: 'Records committed per log transaction', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [registry] }),
    lookupRounds: new Counter({
      name: 'peerkeys_lookup_rounds_total',
      help: 'Lookup rounds by the database their answer was read from: the read replica when it was as new as the primary, else the primary, and why',
      labelNames: ['database', 'reason'],
      registers: [registry],
    }),
  };
  new Gauge({
    name: 'peerkeys_log_size',
    help: 'Entries in the transparency log (latest checkpoint size, read at scrape time)',
    registers: [registry],
    async collect() {
      const checkpoint = await latestCheckpoint(db).catch(() => null);
      if (checkpoint !== null) this.set(checkpoint.size);
    },
  });
  return metrics;
}
