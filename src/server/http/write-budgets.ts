/**
 * Write budgets per subject: identity writes per userId, device writes per userId, group writes
 * per groupId (DESIGN.md §6, "Rate limits").
 *
 * Only committed writes count, and they are counted by the write path itself: a route checks the
 * budget before its handler (`check`, a read of the counts that refuses with 429 when a window is
 * already spent), and the service counts the write (`WriteCounter.committed`) right after its
 * transaction commits, in the same code path. Nothing is counted on arrival and refunded later, so
 * nothing depends on what a client does with its connection: a refused write (400, 409, 413, 422…)
 * never reaches a counter, whether its response is read, queued behind unread responses, or lost
 * to a reset. (express-rate-limit's `skipFailedRequests` counted on arrival and refunded on the
 * response's `finish`/`close` events, which a response queued behind an unread pipelined one never
 * gets: anyone could spend any user's budget with refused writes.)
 *
 * The counts live in the same stores as the per-address limits (express-rate-limit's MemoryStore,
 * or rate-limit-redis's RedisStore so that every registry process shares them): fixed windows that
 * start with a subject's first counted write.
 *
 * What a concurrent burst can overshoot: writes that pass the check at the same moment are all
 * counted when they commit, so a window can end up over its limit by the number of the subject's
 * writes that were in flight together. Only writes that commit count, and only the subject can
 * make them (a record signed by the user's own rotation or signing key, or by a group admin), so
 * nobody else can spend, or add to, a subject's budget; and a burst adds no more to the log than
 * the same requests could as genesis records of fresh identities, which only the per-address
 * budgets bound. Reserving a unit before the write (released on refusal) would make the count
 * exact, but would let anyone's refused writes, while in flight, hold the subject's budget.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { MemoryStore, type Options, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Budget } from '../../config.js';
import { sendProblem } from './problem.js';

/** What a service tells its budget once a write has committed. */
export interface WriteCounter {
  /** Counts one committed write for `subject`. Never throws: a store outage is logged, and the write stands. */
  committed(subject: string): Promise<void>;
}

/** A counter for budgets that are switched off. */
export const uncounted: WriteCounter = { committed: async () => {} };

/** A store with `get` (MemoryStore and RedisStore both have it). */
export type ReadableStore = Store & Required<Pick<Store, 'get'>>;

export interface WriteBudgetOptions {
  /** The bucket's name, e.g. `user-writes`; each window's policy is named `<name>-<limit>-in-<seconds>s`. */
  name: string;
  budgets: Budget[];
  /** For the 429's detail: "too many <what>". */
  what: string;
  /** The subject a request writes for, or null when it has none that is valid (validation refuses it later). */
  subjectOf(req: Request): string | null;
  /** Requests the budget does not apply to at all (recovery attempts), asked only when a window is spent; never throws. */
  exempt?: (req: Request) => Promise<boolean>;
  /** A store for one window, or undefined for an in-process MemoryStore. */
  store?: (policy: string) => ReadableStore | undefined;
  logger: Logger;
}

export interface WriteBudget {
  /** Middleware for the write route: refuses with 429 RATE_LIMITED when a window is already spent. */
  check: RequestHandler[];
  counter: WriteCounter;
}

interface Window {
  budget: Budget;
  policy: string;
  store: ReadableStore;
  ready: Promise<void> | null;
}

/** What a window holds for a subject right now. */
interface Usage {
  used: number;
  /** Seconds until the window resets (the whole window when nothing is counted yet). */
  resetSeconds: number;
}

export function policyName(name: string, budget: Budget): string {
  return `${name}-${budget.limit}-in-${Math.round(budget.windowMs / 1000)}s`;
}

/**
 * The partition key of the RateLimit-Policy header, as express-rate-limit writes it for the
 * per-address buckets: a short hash of the key, as a byte sequence, so the subject is not echoed.
 */
function partitionKey(subject: string): string {
  return Buffer.from(createHash('sha256').update(subject).digest('hex').slice(0, 12)).toString('base64');
}

export function createWriteBudget(options: WriteBudgetOptions): WriteBudget {
  const { logger } = options;
  const windows: Window[] = options.budgets.map((budget) => {
    const policy = policyName(options.name, budget);
    return { budget, policy, store: options.store?.(policy) ?? (new MemoryStore() as ReadableStore), ready: null };
  });

  /** Initialises a window's store once; a failed start (Redis away) is tried again on next use. */
  const ready = (window: Window): Promise<void> => {
    window.ready ??= Promise.resolve(window.store.init?.({ windowMs: window.budget.windowMs } as Options)).catch((error: unknown) => {
      window.ready = null;
      throw error;
    });
    return window.ready;
  };

  const usage = async (window: Window, subject: string): Promise<Usage> => {
    await ready(window);
    const info = await window.store.get(subject);
    const now = Date.now();
    const resetAt = info?.resetTime?.getTime();
    // A missing key reads as no hits (RedisStore gives NaN and a past reset time for one).
    if (info === undefined || resetAt === undefined || resetAt <= now || !Number.isFinite(info.totalHits)) {
      return { used: 0, resetSeconds: Math.ceil(window.budget.windowMs / 1000) };
    }
    return { used: info.totalHits, resetSeconds: Math.max(0, Math.ceil((resetAt - now) / 1000)) };
  };

  const check: RequestHandler = async (req: Request, res: Response, next) => {
    const subject = options.subjectOf(req);
    if (subject === null) return next();
    let usages: Usage[];
    try {
      usages = await Promise.all(windows.map((window) => usage(window, subject)));
    } catch (error) {
      // A store outage must not take the registry down with it: the write goes on unchecked.
      logger.warn({ err: error, budget: options.name }, 'write budget store unavailable; the write is not checked');
      return next();
    }
    // The exemption is asked only of a write the budget would refuse: for identity writes it is a
    // database read (is this a recovery attempt?), which every rotation paid before its handler
    // while nearly all of them are within budget. An exempt write within budget gets the headers
    // of any write that passes (a recovery is not counted, so it has one more left than `r` says).
    const refused = windows.some((window, i) => usages[i]!.used >= window.budget.limit);
    if (refused && (await options.exempt?.(req)) === true) return next();
    const key = partitionKey(subject);
    let retryAfter = -1;
    windows.forEach((window, i) => {
      const { used, resetSeconds } = usages[i]!;
      const { limit, windowMs } = window.budget;
      // `r` is what remains once this write counts, should it be accepted (0 when it is refused).
      res.append('RateLimit', `"${window.policy}"; r=${Math.max(0, limit - used - 1)}; t=${resetSeconds}`);
      res.append('RateLimit-Policy', `"${window.policy}"; q=${limit}; w=${Math.ceil(windowMs / 1000)}; pk=:${key}:`);
      if (used >= limit) retryAfter = Math.max(retryAfter, resetSeconds);
    });
    if (retryAfter < 0) return next();
    const spent = windows.find((_, i) => usages[i]!.used >= windows[i]!.budget.limit)!.budget;
    res.set('Retry-After', String(retryAfter));
    sendProblem(res, 'RATE_LIMITED', `too many ${options.what}: at most ${spent.limit} per ${Math.round(spent.windowMs / 1000)} s; see the RateLimit headers`);
  };

  const counter: WriteCounter = {
    async committed(subject) {
      try {
        await Promise.all(
          windows.map(async (window) => {
            await ready(window);
            await window.store.increment(subject);
          }),
        );
      } catch (error) {
        logger.warn({ err: error, budget: options.name }, 'write budget store unavailable; a committed write was not counted');
      }
    },
  };

  return { check: [check], counter };
}
