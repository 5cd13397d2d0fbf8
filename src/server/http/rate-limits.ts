/**
 * Rate limits as named buckets built from config (DESIGN.md §6, "Rate limits"). With Redis
 * configured, every registry process shares the same counters; otherwise each process counts in
 * memory.
 *
 * - Per client address, reads and writes: express-rate-limit, counting every request on arrival.
 *   An address only ever spends its own budget. Keyed on the address pinned when the request
 *   arrived (client-address.ts), never on the socket's, which is gone once a client hangs up.
 * - Per subject, committed writes only (identity writes per userId, device writes per userId,
 *   group writes per groupId): checked before the handler, counted by the service right after its
 *   transaction commits (write-budgets.ts). Recoveries are neither refused nor counted.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisStore } from 'rate-limit-redis';
import type { Budget, Config } from '../../config.js';
import { isPeersId } from '../../protocol/ids.js';
import { clientAddress, pinClientAddress } from './client-address.js';
import { sendProblem } from './problem.js';
import { createWriteBudget, policyName, uncounted, type ReadableStore, type WriteCounter } from './write-budgets.js';

export interface RateLimiters {
  ipReads: RequestHandler[];
  ipWrites: RequestHandler[];
  /** Identity-chain writes per userId: the check before the handler; recoveries are exempt. */
  userWrites: RequestHandler[];
  /** Device-record writes per userId: the check before the handler. */
  deviceWrites: RequestHandler[];
  /** Group-record writes per groupId: the check before the handler (only the group's admins can spend it). */
  groupWrites: RequestHandler[];
  /** What the services count their committed writes with, one counter per subject budget. */
  committed: { userWrites: WriteCounter; deviceWrites: WriteCounter; groupWrites: WriteCounter };
}

export interface RateLimitOptions {
  redis: Redis | null;
  /** Key prefix in Redis, so several registries (or test runs) can share one server. */
  redisPrefix: string;
  logger: Logger;
  /**
   * Requests for which the per-user write budget does not apply (fork attempts, so recoveries;
   * see IdentityService.isForkAttempt). Asked at most once per request, and only when one of the
   * budget's windows is spent (write-budgets.ts); a throw counts as "don't skip".
   */
  skipUserBudget?: (req: Request) => boolean | Promise<boolean>;
}

/**
 * The userId a write is about (from the path, or from the body of a genesis), or null when it is
 * not a Peers id. Such a request is refused by validation anyway; it must not make a bucket key
 * out of attacker text (a 100 kB "userId" would otherwise sit in the store for a day).
 */
function writeSubject(req: Request): string | null {
  const fromPath = req.params['userId'];
  const body = req.body as { userId?: unknown } | undefined;
  const subject = typeof fromPath === 'string' ? fromPath : body?.userId;
  return typeof subject === 'string' && isPeersId(subject) ? subject : null;
}

/** The groupId a group write is about (path, or the body of a genesis), or null when it is not a Peers id. */
function groupSubject(req: Request): string | null {
  const fromPath = req.params['groupId'];
  const body = req.body as { groupId?: unknown } | undefined;
  const subject = typeof fromPath === 'string' ? fromPath : body?.groupId;
  return typeof subject === 'string' && isPeersId(subject) ? subject : null;
}

/**
 * The exemption as the budget asks it: never throwing — a failure (say, the database is away)
 * means "not exempt", so the budget applies.
 */
function neverThrowing(exempt: (req: Request) => boolean | Promise<boolean>, logger: Logger): (req: Request) => Promise<boolean> {
  return async (req) => {
    try {
      return await exempt(req);
    } catch (error) {
      logger.warn({ err: error }, 'rate-limit skip check failed; the budget applies');
      return false;
    }
  };
}

export function createRateLimiters(config: Config['rateLimits'], options: RateLimitOptions): RateLimiters {
  const { logger } = options;
  const store = (policy: string): ReadableStore | undefined =>
    options.redis === null
      ? undefined
      : new RedisStore({
          prefix: `${options.redisPrefix}${policy}:`,
          sendCommand: (command: string, ...args: string[]) => options.redis!.call(command, ...args) as Promise<never>,
        });

  /** express-rate-limit reports store failures (which it passes on) through this, not the console. */
  const limiterLogger = { error: (...args: unknown[]) => logger.warn({ detail: args }, 'rate limiter'), warn: (...args: unknown[]) => logger.warn({ detail: args }, 'rate limiter') };

  /** A per-address bucket: every request counts, keyed on the address pinned at arrival. */
  const ipBucket = (name: string, budgets: Budget[], what: string): RequestHandler[] => {
    if (!config.enabled) return [];
    const limiters = budgets.map((budget) => {
      const policy = policyName(name, budget);
      const s = store(policy);
      return rateLimit({
        windowMs: budget.windowMs,
        limit: budget.limit,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        identifier: policy,
        ...(s !== undefined ? { store: s } : {}),
        // pinClientAddress (in front) guarantees an address here; IPv6 clients share a /56, as by default.
        keyGenerator: (req: Request, res: Response) => ipKeyGenerator(clientAddress(req, res)!, 56),
        // A rate-limit store outage must not take the registry down with it.
        passOnStoreError: true,
        logger: limiterLogger,
        handler: (_req: Request, res: Response) =>
          sendProblem(res, 'RATE_LIMITED', `too many ${what}: at most ${budget.limit} per ${Math.round(budget.windowMs / 1000)} s; see the RateLimit headers`),
        validate: { keyGeneratorIpFallback: false },
      });
    });
    return [pinClientAddress(logger), ...limiters];
  };

  const subjectBudget = (name: string, budgets: Budget[], what: string, subjectOf: (req: Request) => string | null, exempt?: (req: Request) => Promise<boolean>) => {
    if (!config.enabled) return { check: [], counter: uncounted };
    return createWriteBudget({ name, budgets, what, subjectOf, store, logger, ...(exempt !== undefined ? { exempt } : {}) });
  };

  const user = subjectBudget(
    'user-writes',
    config.userWrites,
    'writes for this userId',
    writeSubject,
    options.skipUserBudget === undefined ? undefined : neverThrowing(options.skipUserBudget, logger),
  );
  const device = subjectBudget('device-writes', config.deviceWrites, 'device writes for this userId', writeSubject);
  const group = subjectBudget('group-writes', config.groupWrites, 'writes for this groupId', groupSubject);

  return {
    ipReads: ipBucket('ip-reads', config.ipReads, 'requests from this address'),
    ipWrites: ipBucket('ip-writes', config.ipWrites, 'writes from this address'),
    userWrites: user.check,
    deviceWrites: device.check,
    groupWrites: group.check,
    committed: { userWrites: user.counter, deviceWrites: device.counter, groupWrites: group.counter },
  };
}
