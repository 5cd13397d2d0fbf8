// How serve, mirror and witness stop (src/cli/stop-signals.ts): the first signal stops gracefully,
// a repeat at the same moment is the same request (logged), a later one forces the exit, and the
// end of the launcher's IPC channel stops gracefully but never forces. The clock and exit are
// handed in, so no test here waits. start-launcher.test.ts sends real signals to a real server.
import { describe, expect, it } from '@jest/globals';
import { mirror } from '../../src/cli/commands/mirror.js';
import { SERVE_HELP } from '../../src/cli/commands/serve.js';
import { WITNESS_HELP } from '../../src/cli/commands/witness.js';
import { SAME_REQUEST_MS, STOP_SIGNALS_HELP, stopAction, stopHandler, type StopHandlerDeps } from '../../src/cli/stop-signals.js';

describe('stopAction', () => {
  it('stops gracefully on the first signal', () => {
    expect(stopAction(null, 0)).toBe('stop');
    expect(stopAction(null, 123_456)).toBe('stop');
  });

  it('takes a repeat within SAME_REQUEST_MS as the same request, and a later one as "stop now"', () => {
    expect(stopAction(5_000, 5_000)).toBe('same-request');
    expect(stopAction(5_000, 5_000 + SAME_REQUEST_MS - 1)).toBe('same-request');
    expect(stopAction(5_000, 5_000 + SAME_REQUEST_MS)).toBe('force');
    expect(stopAction(5_000, 60_000)).toBe('force');
  });
});

/** A handler on a clock set by hand, recording what it logs, stops and exits with. */
function harness(stopResult: Promise<void> = new Promise(() => {})) {
  const log: Array<[level: string, fields: object, message: string]> = [];
  const exits: number[] = [];
  let stops = 0;
  const clock = { ms: 10_000 };
  const logger = {
    info: (fields: object, message: string) => void log.push(['info', fields, message]),
    warn: (fields: object, message: string) => void log.push(['warn', fields, message]),
    error: (fields: object, message: string) => void log.push(['error', fields, message]),
  } as unknown as StopHandlerDeps['logger'];
  const handle = stopHandler({
    logger,
    stop: () => {
      stops += 1;
      return stopResult;
    },
    exit: (code) => void exits.push(code),
    now: () => clock.ms,
  });
  return { handle, log, exits, clock, stops: () => stops };
}

describe('stopHandler', () => {
  it('stops once on a signal and its repeat within the window, and logs the repeat', () => {
    const run = harness();
    run.handle('SIGINT');
    run.clock.ms += SAME_REQUEST_MS - 1;
    run.handle('SIGINT');
    expect(run.stops()).toBe(1);
    expect(run.exits).toEqual([]);
    expect(run.log.map(([level, fields]) => [level, fields])).toEqual([
      ['info', { signal: 'SIGINT' }],
      ['warn', { signal: 'SIGINT' }],
    ]);
  });

  it('exits 1 at once on a signal SAME_REQUEST_MS or more after the first', () => {
    const run = harness();
    run.handle('SIGTERM');
    run.clock.ms += SAME_REQUEST_MS;
    run.handle('SIGINT');
    expect(run.stops()).toBe(1);
    expect(run.exits).toEqual([1]);
  });

  it('exits 0 when the graceful stop ends, and 1 when it fails', async () => {
    const done = harness(Promise.resolve());
    done.handle('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(done.exits).toEqual([0]);
    const failed = harness(Promise.reject(new Error('destroy failed')));
    failed.handle('SIGTERM');
    await new Promise((resolve) => setImmediate(resolve));
    expect(failed.exits).toEqual([1]);
    expect(failed.log.map(([level]) => level)).toEqual(['info', 'error']);
  });

  it("stops gracefully when the launcher's channel ends, and never forces on it", () => {
    const first = harness();
    first.handle('disconnect');
    expect(first.stops()).toBe(1);
    const during = harness();
    during.handle('SIGINT');
    during.clock.ms += 10 * SAME_REQUEST_MS;
    during.handle('disconnect');
    expect(during.stops()).toBe(1);
    expect(during.exits).toEqual([]);
  });
});

describe('the help of serve, mirror and witness', () => {
  it('states the same stop rule', () => {
    for (const help of [SERVE_HELP, mirror.help, WITNESS_HELP]) expect(help.replace(/\s+/g, ' ')).toContain(STOP_SIGNALS_HELP);
  });
});
