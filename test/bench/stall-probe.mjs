/**
 * Preloaded into a registry server by test/bench/stalls.ts (`node --import`): what stops its event
 * loop, counted inside the process, where a loaded machine moves the figures far less than it
 * moves requests per second.
 *
 * - Loop stalls: a 1 ms interval timer; each firing 3 ms or more late is one stall of that length
 *   (one loop iteration, or a run of them, that held the loop: a garbage collection, a long
 *   callback, a batch of requests, or the process waiting for a core).
 * - GC pauses: PerformanceObserver 'gc' entries (scavenges, mark-compacts and their incremental
 *   steps), with their times, so that each stall is told how much of it was GC.
 * - Slow timers: every callback of the application's setTimeout/setInterval/setImmediate that
 *   runs 2 ms or more, by where it was scheduled (checkpoint signing, witness submission, …).
 * - The process's CPU time and the time it waited for a core (/proc/self/schedstat).
 *
 * SIGUSR2 writes the figures since the last SIGUSR2 (or the start) to $STALL_OUT as JSON and
 * starts counting again. Plain JavaScript, so that any built server can load it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setInterval as plainInterval } from 'node:timers';

const OUT = process.env.STALL_OUT;
const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const round1 = (ms) => Math.round(ms * 10) / 10;
/** utime + stime in ms (clock ticks of 10 ms). */
const cpuMs = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** Time spent runnable but waiting for a core, in ms. */
const waitMs = () => Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6;

let window;
function reset() {
  window = { started: performance.now(), cpu: cpuMs(), wait: waitMs(), gc: [], lags: [], timers: new Map() };
}
reset();

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.gc.push({ kind: KINDS[e.detail?.kind] ?? 'other', start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
  const original = globalThis[name];
  globalThis[name] = function timed(fn, ...rest) {
    if (typeof fn !== 'function') return original.call(this, fn, ...rest);
    const where = `${name} ${(new Error().stack ?? '').split('\n').slice(2, 4).map((l) => l.trim().replace(/^at /, '').replace(/\(?file:\/\/\S*?\/(dist|node_modules)\//, '($1/')).join(' < ')}`;
    return original.call(
      this,
      function (...args) {
        const start = performance.now();
        try {
          return fn.apply(this, args);
        } finally {
          const ms = performance.now() - start;
          if (ms >= 2) {
            const runs = window.timers.get(where) ?? [];
            runs.push({ start, ms });
            window.timers.set(where, runs);
          }
        }
      },
      ...rest,
    );
  };
}

// Not through the timed setInterval above: a collection inside this callback is a stall, not a slow timer.
let expected = performance.now() + 1;
plainInterval(() => {
  const now = performance.now();
  if (now - expected >= 3) window.lags.push({ start: expected, ms: now - expected });
  expected = now + 1;
}, 1).unref();

process.on('SIGUSR2', () => {
  const timerRuns = [...window.timers.values()].flat();
  /** How much of [start, start + ms) the intervals in `list` cover. */
  const within = ({ start, ms }, list) => list.reduce((sum, i) => sum + Math.max(0, Math.min(start + ms, i.start + i.ms) - Math.max(start, i.start)), 0);
  const figures = {
    ms: performance.now() - window.started,
    cpuMs: cpuMs() - window.cpu,
    waitMs: waitMs() - window.wait,
    stalls: window.lags.map((lag) => ({ ms: round1(lag.ms), gcMs: round1(within(lag, window.gc)), timerMs: round1(within(lag, timerRuns)) })),
    gc: window.gc.map(({ kind, ms }) => ({ kind, ms: Math.round(ms * 100) / 100 })),
    // Each slow callback's length, and how much of it was GC (a collection can start inside any callback).
    timers: Object.fromEntries([...window.timers].map(([where, runs]) => [where, runs.map((r) => ({ ms: round1(r.ms), gcMs: round1(within(r, window.gc)) }))])),
    memoryMb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])),
  };
  if (OUT !== undefined) writeFileSync(OUT, JSON.stringify(figures));
  reset();
});
