/**
 * `peerkeys witness` as a service: `WitnessService.create(config)`, `start()`, `destroy()`.
 * HTTP: `POST /add-checkpoint` (c2sp.org/tlog-witness) and `GET /` (its name, vkey and the size
 * it last cosigned per log, for operators). Bad input is always a 4xx; a database that fails is
 * a 503 that echoes nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { pino, type Logger } from 'pino';
import { loadSigningSeed } from '../node/log-key.js';
import { nodeSigner, nodeVerify } from '../node/node-ed25519.js';
import { cosignerKey, formatCosignerKey, type CosignerKey } from '../protocol/cosignature.js';
import { addCheckpoint, type WitnessDeps } from './add-checkpoint.js';
import type { WitnessConfig } from './config.js';
import { WitnessStore } from './witness-store.js';
import type { Database } from '../db/database.js';

export interface WitnessOverrides {
  logger?: Logger;
  now?: () => number;
  /** An already open database (owned by the caller), e.g. a test's own schema. */
  database?: Database;
}

export class WitnessService {
  private server: http.Server | null = null;

  private constructor(
    readonly config: WitnessConfig,
    readonly app: Express,
    readonly key: CosignerKey,
    readonly logger: Logger,
    private readonly store: WitnessStore,
  ) {}

  /** The vkey logs and clients pin for this witness (type 0x04). */
  get vkey(): string {
    return formatCosignerKey(this.key);
  }

  static async create(config: WitnessConfig, overrides: WitnessOverrides = {}): Promise<WitnessService> {
    const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'peerkeys-witness' } });
    const signer = nodeSigner(loadSigningSeed(config.signingKey));
    const key = cosignerKey(config.name, signer.publicKey);
    const store = await WitnessStore.open(overrides.database ?? config.database, config.logs.keys());
    const deps: WitnessDeps = { logs: config.logs, store, key, sign: signer.sign, verify: nodeVerify, now: overrides.now ?? Date.now };
    const app = express();
    app.disable('x-powered-by');
    app.post('/add-checkpoint', express.raw({ type: () => true, limit: config.bodyLimitBytes }), async (req, res, next) => {
      try {
        const bytes: unknown = req.body;
        const answer = await addCheckpoint(bytes instanceof Buffer ? bytes : new Uint8Array(0), deps);
        if (answer.status !== 200) logger.info({ status: answer.status, reason: answer.body.trim() }, 'add-checkpoint refused');
        res.status(answer.status).type(answer.contentType).send(answer.body);
      } catch (error) {
        next(error);
      }
    });
    app.get('/', async (_req, res, next) => {
      try {
        const logs = [];
        for (const origin of config.logs.keys()) logs.push({ origin, size: (await store.latest(origin))?.size ?? 0 });
        res.json({ name: key.name, vkey: formatCosignerKey(key), logs });
      } catch (error) {
        next(error);
      }
    });
    app.use((_req, res) => void res.status(404).type('text/plain').send('not found\n'));
    const errors: ErrorRequestHandler = (error: { status?: unknown; type?: unknown }, _req, res, _next) => {
      // body-parser's own errors (too large, aborted, bad encoding) carry a 4xx status.
      if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
        res.status(error.status).type('text/plain').send(`${error.type === 'entity.too.large' ? 'request body too large' : 'bad request'}\n`);
        return;
      }
      logger.error({ err: error }, 'witness request failed');
      res.status(503).type('text/plain').send('the witness cannot answer now; try again later\n');
    };
    app.use(errors);
    return new WitnessService(config, app, key, logger, store);
  }

  async start(): Promise<string> {
    const server = http.createServer(this.app);
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async destroy(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    await this.store.close();
  }
}
