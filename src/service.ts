/**
 * The registry as a service (atproto style): `RegistryService.create(config, overrides)` builds
 * every part, `start()` listens, `destroy()` finishes in-flight work and releases everything.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createApp, type MirrorDeps } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { checkReadReplica } from './db/read-replica-check.js';
import { systemClock, type Clock } from './server/clock.js';
import { DeviceService } from './server/devices/device-service.js';
import { createMetrics } from './server/metrics.js';
import { GroupService } from './server/group/group-service.js';
import { appMessageClasses } from './server/http/message-classes.js';
import { createRateLimiters } from './server/http/rate-limits.js';
import { ServerDrain } from './server/http/server-drain.js';
import { IdentityService } from './server/identity/identity-service.js';
import { loadLogKey, type LogKey } from './node/log-key.js';
import { lookupCache } from './server/log/chain-bundles.js';
import { LogReader } from './server/log/log-reader.js';
import { LookupReads } from './server/log/lookup-reads.js';
import { TileReader } from './server/log/tile-reader.js';
import { LogWriter } from './server/log/log-writer.js';
import { MapState } from './server/log/map-state.js';
import { SubtreeStore } from './db/subtree-store.js';
import { WitnessSubmitter } from './server/log/witness-submitter.js';
import { nodeVerify } from './node/node-ed25519.js';
import { useNodeSha256 } from './node/node-sha256.js';
import { useSodiumKeyCheck } from './node/sodium-key-check.js';

export interface ServiceOverrides {
  clock?: Clock;
  logger?: Logger;
  /**
   * An already open (and owned by the caller) database, e.g. a test's own schema. An embedded one
   * must not be shared with another registry: this one takes itself for its log's only writer.
   */
  database?: Database;
  logKey?: LogKey;
  /** Prefix for rate-limit keys in Redis. */
  redisPrefix?: string;
  /** Slow-client limits (tests shorten them); defaults: headers in 10 s, whole request in 30 s. */
  httpTimeouts?: { headersMs: number; requestMs: number };
  /**
   * Serve a mirror's copy of another registry's log (src/mirror) instead of a log of its own:
   * reads only, no checkpoint signed at start. Pass that registry's key as `logKey`
   * (verifierLogKey: it cannot sign).
   */
  mirror?: MirrorDeps;
}

/**
 * How long a stop waits for the handlers whose client hung up (server-drain.ts) before it closes the
 * database all the same. A choice, not a bound (their transactions may run 30 s, TRANSACTION_TIMEOUT_MS):
 * they usually take milliseconds, and the whole stop must fit the grace period a service manager
 * gives it (README.md, "Stopping").
 */
export const ORPHAN_WAIT_MS = 10_000;

export class RegistryService {
  private server: http.Server | null = null;
  private drain: ServerDrain | null = null;

  private constructor(
    readonly config: Config,
    readonly app: Express,
    readonly db: Database,
    readonly logKey: LogKey,
    readonly logger: Logger,
    private readonly writer: LogWriter,
    /** False on a mirror: it signs nothing, so it keeps no checkpoint fresh. */
    private readonly signs: boolean,
    private readonly redis: Redis | null,
    private readonly witnesses: WitnessSubmitter | null,
    private readonly ownsDatabase: boolean,
    private readonly httpTimeouts?: ServiceOverrides['httpTimeouts'],
  ) {}

  static async create(config: Config, overrides: ServiceOverrides = {}): Promise<RegistryService> {
    const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'peerkeys' } });
    const clock = overrides.clock ?? systemClock;
    // Every write brings keys this process has not met: check them with libsodium, not pure JS;
    // and every write hashes its record, its leaf and a path of the key map: with OpenSSL.
    await useSodiumKeyCheck();
    useNodeSha256();
    const db = overrides.database ?? (await openDatabase(config.database));
    let redis: Redis | null = null;
    try {
      const report = await migrate(db);
      if (report.applied.length > 0) logger.info({ applied: report.applied }, 'database migrated');
      // DATABASE_READ_URL must be a hot standby of DATABASE_URL: refuse to start on another database (DESIGN.md §9).
      const replicaCheck = await checkReadReplica(db);
      if (replicaCheck !== null) logger.warn({ err: replicaCheck.unreachable }, 'the read replica does not answer: lookups read the primary until it does');
      const logKey = overrides.logKey ?? loadLogKey(config.log);
      const subtrees = new SubtreeStore(db, config.limits.subtreeCacheBytes);
      const metrics = createMetrics(db);
      // The key map at the log's current size, from the chains' tables: no replay (DESIGN.md §5.2).
      const keyMap = await MapState.load(db);
      await subtrees.preload(keyMap.size);
      const writer = new LogWriter(db, subtrees, keyMap, logKey, clock, metrics);
      // A mirror's log grows only by its follower copying the registry's entries and checkpoints;
      // it signs nothing, not even an empty log's checkpoint, and its app refuses every write.
      if (overrides.mirror === undefined) await writer.init();
      if (config.rateLimits.redisUrl !== null) {
        // Commands fail fast while Redis is away (limits then pass, see rate-limits.ts) instead of queueing.
        redis = new Redis(config.rateLimits.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        redis.on('error', (error) => logger.warn({ err: error }, 'redis error'));
        await redis.connect();
      }
      const limits = createRateLimiters(config.rateLimits, {
        redis,
        redisPrefix: overrides.redisPrefix ?? 'peerkeys:rl:',
        logger,
        // A recovery must get through whatever a thief spent of the user's budget (DESIGN.md §2).
        skipUserBudget: (req) => {
          const userId = req.params['userId'];
          return typeof userId === 'string' && identities.isForkAttempt(userId, req.body);
        },
      });
      // Each service counts its committed writes against its budget (write-budgets.ts).
      // One cache of lookup pages for identities and groups, bounded by bytes (DESIGN.md §9).
      // Lookup rounds read the read replica, if any, when it is as new as the primary (DESIGN.md §9).
      const lookups = new LookupReads(db, {
        observe: (source) => metrics.lookupRounds.inc(source),
        replicaRested: (reason, restMs) => logger.warn({ err: reason, restMs }, 'the read replica is rested: lookups read the primary for a while'),
      });
      // An embedded database is held by this process alone, so its writer's newest commit is the
      // latest checkpoint and lookups it holds the pages of need no round (DESIGN.md §9) — unless
      // witnesses are configured: their cosignatures are appended to the stored note apart from it.
      const soleWriter = db.kind === 'embedded' && overrides.mirror === undefined && config.witnesses.endpoints.length === 0;
      const reads = {
        cache: lookupCache(config.limits.lookupCacheBytes),
        pageBytes: config.limits.pageBytes,
        keyMap,
        lookups,
        ...(soleWriter ? { soleWriterLatest: () => writer.latestCommitted } : {}),
      };
      const identities = new IdentityService(db, writer, subtrees, clock, limits.committed.userWrites, config.ids.users, reads);
      const groups = new GroupService(db, writer, subtrees, clock, limits.committed.groupWrites, config.ids.groups, reads);
      // The only writer holds the pages of the chains it writes as it commits them (DESIGN.md §9).
      if (soleWriter) {
        writer.handOverCommitted(
          (sizeBefore, records) => {
            identities.handOverLookups(sizeBefore, records);
            groups.handOverLookups(sizeBefore, records);
          },
          // The writes are committed and acknowledged all the same: their chains' next lookups read a round.
          (error) => logger.warn({ err: error }, 'the committed pages were not handed to the lookup cache'),
        );
      }
      const log = new LogReader(db, subtrees, config.limits.pageBytes);
      // A mirror signs nothing, so it has nothing of its own for witnesses to cosign.
      const { endpoints, timeoutMs, pollMs, maxBackoffMs } = config.witnesses;
      const witnesses =
        endpoints.length > 0 && overrides.mirror === undefined
          ? new WitnessSubmitter(db, log, endpoints, nodeVerify, { timeoutMs, pollMs, maxBackoffMs }, logger, metrics.registry)
          : null;
      const app = createApp({
        config,
        db,
        logKey,
        identities,
        devices: new DeviceService(db, clock, limits.committed.deviceWrites, config.limits.pageBytes),
        groups,
        log,
        tiles: new TileReader(db, subtrees, async () => (await log.latest()).size, config.limits.tileCacheBytes),
        limits,
        ...(witnesses !== null ? { witnesses } : {}),
        logger,
        metrics,
        ...(overrides.mirror !== undefined ? { mirror: overrides.mirror } : {}),
      });
      // The first pages of the chains, identities' first, so that a restart does not start with a
      // cold lookup cache (DESIGN.md §9): a few statements, before listening.
      const preloadStarted = performance.now();
      const preloaded = { identities: await identities.preloadLookups(), groups: await groups.preloadLookups() };
      logger.info({ ...preloaded, bytes: reads.cache.bytes, ms: Math.round(performance.now() - preloadStarted) }, 'lookup cache preloaded');
      witnesses?.start();
      return new RegistryService(config, app, db, logKey, logger, writer, overrides.mirror === undefined, redis, witnesses, overrides.database === undefined, overrides.httpTimeouts);
    } catch (error) {
      redis?.disconnect();
      if (overrides.database === undefined) await db.close();
      throw error;
    }
  }

  /**
   * Listens on the configured host and port (0: any free port); returns the base URL. From now on
   * a registry signs a fresh checkpoint whenever its latest reaches CHECKPOINT_INTERVAL_SECONDS.
   */
  async start(): Promise<string> {
    const { tls, host, port } = this.config.http;
    // Node enforces the timeouts below when it checks connections; check every second, not every 30 s.
    // Requests and responses are made with the app's prototypes (http/message-classes.ts).
    const options = { connectionsCheckingInterval: 1_000, ...appMessageClasses(this.app) };
    // The drain notes each request on its connection (server-drain.ts) in the server's one request listener.
    const drain = new ServerDrain();
    const handler = drain.handler(this.app);
    const server =
      tls === null ? http.createServer(options, handler) : https.createServer({ ...options, cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, handler);
    drain.watch(server, tls !== null);
    // Slow clients are cut off instead of holding sockets: headers within 10 s, whole request in 30 s.
    server.headersTimeout = this.httpTimeouts?.headersMs ?? 10_000;
    server.requestTimeout = this.httpTimeouts?.requestMs ?? 30_000;
    // Idle keep-alive sockets outlive any client's or load balancer's idle timeout (60 s is common):
    // a server that closes first races with a client reusing the socket, which sees ECONNRESET.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.drain = drain;
    if (this.signs) {
      this.writer.startRefreshing(this.config.log.checkpointIntervalMs, (error) => this.logger.error({ err: error }, 'signing a fresh checkpoint failed'));
    }
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${tls === null ? 'http' : 'https'}://${shownHost}:${address.port}`;
  }

  /**
   * Stops accepting requests, lets in-flight ones finish (those whose client hung up too), stops
   * and awaits every background task (checkpoint refreshes, queued writes, witness submissions),
   * then closes the database and Redis: nothing reads the database once it is closed.
   */
  async destroy(): Promise<void> {
    const server = this.server;
    const drain = this.drain;
    this.server = null;
    this.drain = null;
    if (server !== null) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // In-flight requests finish; their keep-alive sockets are closed as soon as they go idle,
      // connections that never sent a request at the second sweep that finds them silent (or once
      // past headersTimeout), and whatever is still open after 30 s is cut.
      const sweep = () => {
        server.closeIdleConnections();
        drain?.closeSilent(server.headersTimeout);
      };
      const sweeping = setInterval(sweep, 100);
      const deadline = setTimeout(() => server.closeAllConnections(), 30_000);
      sweep();
      await closed;
      clearInterval(sweeping);
      clearTimeout(deadline);
      const stillAtWork = (await drain?.orphansFinished(ORPHAN_WAIT_MS)) ?? 0;
      // Their next statement may meet the closed database: the lines it logs then are explained here.
      if (stillAtWork > 0) this.logger.warn({ stillAtWork, waitedMs: ORPHAN_WAIT_MS }, 'requests whose client hung up are still at work: the database closes all the same');
    }
    await this.writer.stop();
    await this.witnesses?.stop();
    if (this.redis !== null) await this.redis.quit().catch(() => this.redis?.disconnect());
    if (this.ownsDatabase) await this.db.close();
  }
}
