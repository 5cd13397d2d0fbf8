/**
 * How `peerkeys serve`, `mirror` and `witness` stop: the first SIGINT or SIGTERM starts the
 * graceful shutdown, and a later one ends the process at once, for a shutdown that hangs.
 *
 * But one request to stop often arrives more than once, at the same moment: a terminal's Ctrl-C
 * reaches every process of the foreground group, and npm (npm exec, npx) and `npm start`'s
 * launcher (src/start.ts) pass on what they receive themselves, as does a service manager that
 * signals every process it started. So a repeat within SAME_REQUEST_MS of the first is that same
 * request: it is logged and otherwise ignored.
 *
 * The window is measured when the handler runs, not when the signal arrived: a duplicate read
 * more than SAME_REQUEST_MS late, because the event loop was blocked that long after the first
 * (PGlite runs synchronous WebAssembly on this thread), is taken as "stop now" and ends the
 * shutdown with exit status 1. The duplicates come within a millisecond of each other, so that
 * needs a loop blocked for a second; a user's own second Ctrl-C within the second is logged
 * (signal again to stop at once), not silently dropped.
 *
 * Deduplicating in the launcher instead, whose event loop is idle, would need the server in a
 * process group of its own, out of the terminal's foreground group, and would leave `npx peerkeys
 * mirror` and the others, which npm signals twice too, as they were.
 */
import type { Logger } from 'pino';

export const SAME_REQUEST_MS = 1_000;

/** For the commands' help texts: the same rule, in the same words, in each. */
export const STOP_SIGNALS_HELP = 'SIGINT or SIGTERM stops it gracefully; another one, a second or more later, stops it at once.';

export type StopAction = 'stop' | 'same-request' | 'force';

/** `firstAtMs`: when the first stop signal came (a monotonic clock, ms), or null if none has yet. */
export function stopAction(firstAtMs: number | null, nowMs: number): StopAction {
  if (firstAtMs === null) return 'stop';
  return nowMs - firstAtMs < SAME_REQUEST_MS ? 'same-request' : 'force';
}

/**
 * A stop request: a signal, or 'disconnect', the end of the IPC channel to the process that
 * started this one (`npm start`'s launcher, gone: src/start.ts), which starts the graceful stop
 * if none has started and never forces one.
 */
export type StopRequest = 'SIGINT' | 'SIGTERM' | 'disconnect';

export interface StopHandlerDeps {
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The graceful shutdown; the process exits 0 when it resolves, 1 when it rejects. */
  stop: () => Promise<void>;
  exit: (code: number) => void;
  /** A monotonic clock, ms. */
  now: () => number;
}

/** What to do on each stop request, by the rule above. */
export function stopHandler({ logger, stop, exit, now }: StopHandlerDeps): (request: StopRequest) => void {
  let firstAt: number | null = null;
  return (request) => {
    const at = now();
    const action = request === 'disconnect' && firstAt !== null ? 'same-request' : stopAction(firstAt, at);
    if (action === 'force') {
      logger.warn({ signal: request }, 'stopping at once');
      return exit(1);
    }
    if (action === 'same-request') {
      if (request !== 'disconnect') logger.warn({ signal: request }, `already shutting down; signal again after ${SAME_REQUEST_MS / 1000} s to stop at once`);
      return;
    }
    firstAt = at;
    logger.info({ signal: request }, 'shutting down: finishing in-flight requests');
    stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
}

/**
 * Stops this process by the rule above on SIGINT and SIGTERM, and, when it has an IPC channel to
 * its parent (only `npm start`'s launcher gives one; run from a shell or a service manager it has
 * none), when that channel ends: the parent is gone, even by SIGKILL.
 */
export function onStopSignals(logger: StopHandlerDeps['logger'], stop: () => Promise<void>): void {
  const handle = stopHandler({ logger, stop, exit: (code) => process.exit(code), now: () => performance.now() });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => handle(signal));
  if (process.channel !== undefined) {
    // The channel must not keep the process alive, nor be read: it only tells that the parent is gone.
    process.channel.unref();
    process.once('disconnect', () => handle('disconnect'));
  }
}
