/**
 * Rate limits as named buckets built from config (express-rate-limit): per-IP reads and writes,
 * and per-userId write budgets in the spirit of did:plc. With Redis configured, every registry
 * process shares the same counters; otherwise each process counts in memory.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisStore } from 'rate-limit-redis';
import type { Budget, Config } from '../../config.js';
import { isPeersId } from '../../protocol/ids.js';
import { clientAddress, pinClientAddress } from './client-address.js';
import { sendProblem } from './problem.js';

export interface RateLimiters {
  ipReads: RequestHandler[];
  ipWrites: RequestHandler[];
  /** Identity-chain writes per userId; only accepted writes count, and recoveries never do. */
  userWrites: RequestHandler[];
  /** Device-record writes per userId; only accepted writes count. */
  deviceWrites: RequestHandler[];
  /** Group-record writes per groupId; only accepted writes count (so only the group's admins spend it). */
  groupWrites: RequestHandler[];
}

export interface RateLimitOptions {
  redis: Redis | null;
  /** Key prefix in Redis, so several registries (or test runs) can share one server. */
  redisPrefix: string;
  logger: Logger;
  /**
   * Requests for which the per-user write budget does not apply (fork attempts, so recoveries;
   * see IdentityService.isForkAttempt). Asked once per request; a throw counts as "don't skip".
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

/** Per-user buckets skip requests without a valid subject, then ask the bucket's own rule. */
function perUser(skip?: (req: Request) => Promise<boolean>): (req: Request) => boolean | Promise<boolean> {
  return (req) => writeSubject(req) === null || (skip?.(req) ?? false);
}

/**
 * The skip predicate as the limiters call it: asked once per request however many budgets the
 * bucket has, and never throwing — a failure (say, the database is away) means "do not skip".
 */
function oncePerRequest(skip: (req: Request) => boolean | Promise<boolean>, logger: Logger): (req: Request) => Promise<boolean> {
  const answers = new WeakMap<Request, Promise<boolean>>();
  return (req) => {
    let answer = answers.get(req);
    if (answer === undefined) {
      answer = (async () => skip(req))().catch((error: unknown) => {
        logger.warn({ err: error }, 'rate-limit skip check failed; the budget applies');
        return false;
      });
      answers.set(req, answer);
    }
    return answer;
  };
}

function format(budget: Budget): string {
  return `${budget.limit}-in-${Math.round(budget.windowMs / 1000)}s`;
}

export function createRateLimiters(config: Config['rateLimits'], options: RateLimitOptions): RateLimiters {
  const store = (name: string): Store | undefined =>
    options.redis === null
      ? undefined
      : new RedisStore({
          prefix: `${options.redisPrefix}${name}:`,
          sendCommand: (command: string, ...args: string[]) => options.redis!.call(command, ...args) as Promise<never>,
        });

  /** express-rate-limit reports store failures (which it passes on) through this, not the console. */
  const limiterLogger = { error: (...args: unknown[]) => options.logger.warn({ detail: args }, 'rate limiter'), warn: (...args: unknown[]) => options.logger.warn({ detail: args }, 'rate limiter') };

  const bucket = (
    name: string,
    budgets: Budget[],
    what: string,
    extra: { keyGenerator?: (req: Request) => string; countOnlyAccepted?: boolean; skip?: (req: Request) => boolean | Promise<boolean> } = {},
  ): RequestHandler[] => {
    if (!config.enabled) return [];
    return budgets.map((budget) => {
      const policy = `${name}-${format(budget)}`;
      const s = store(policy);
      return rateLimit({
        windowMs: budget.windowMs,
        limit: budget.limit,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        identifier: policy,
        ...(s !== undefined ? { store: s } : {}),
        // Per address by default: the address pinned at arrival (pinClientAddress, in front of
        // the per-address buckets), never the socket's, which is gone once a client hangs up.
        // IPv6 clients share a /56, as express-rate-limit's own key generator has it.
        keyGenerator: extra.keyGenerator ?? ((req: Request, res: Response) => ipKeyGenerator(clientAddress(req, res)!, 56)),
        ...(extra.skip !== undefined ? { skip: extra.skip } : {}),
        skipFailedRequests: extra.countOnlyAccepted ?? false,
        // A rate-limit store outage must not take the registry down with it.
        passOnStoreError: true,
        logger: limiterLogger,
        handler: (_req: Request, res: Response) =>
          sendProblem(res, 'RATE_LIMITED', `too many ${what}: at most ${budget.limit} per ${Math.round(budget.windowMs / 1000)} s; see the RateLimit headers`),
        validate: { keyGeneratorIpFallback: false },
      });
    });
  };

  const perAddress = (limiters: RequestHandler[]) => (limiters.length === 0 ? [] : [pinClientAddress(options.logger), ...limiters]);

  return {
    ipReads: perAddress(bucket('ip-reads', config.ipReads, 'requests from this address')),
    ipWrites: perAddress(bucket('ip-writes', config.ipWrites, 'writes from this address')),
    userWrites: bucket('user-writes', config.userWrites, 'writes for this userId', {
      keyGenerator: (req) => writeSubject(req)!,
      countOnlyAccepted: true,
      skip: perUser(options.skipUserBudget === undefined ? undefined : oncePerRequest(options.skipUserBudget, options.logger)),
    }),
    deviceWrites: bucket('device-writes', config.deviceWrites, 'device writes for this userId', {
      keyGenerator: (req) => writeSubject(req)!,
      countOnlyAccepted: true,
      skip: perUser(),
    }),
    groupWrites: bucket('group-writes', config.groupWrites, 'writes for this groupId', {
      keyGenerator: (req) => groupSubject(req)!,
      countOnlyAccepted: true,
      skip: (req) => groupSubject(req) === null,
    }),
  };
}
