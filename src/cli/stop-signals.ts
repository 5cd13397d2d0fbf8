/**
 * What `peerkeys serve` does with a SIGINT or SIGTERM: the first one starts the graceful shutdown,
 * and a later one ends the process at once, for a shutdown that hangs. But one request to stop
 * often arrives more than once, at the same moment: a terminal's Ctrl-C reaches every process of
 * the foreground group, and npm and `npm start`'s launcher (src/start.ts) pass on what they
 * receive themselves, as does a service manager that signals every process it started. So a repeat
 * within SAME_REQUEST_MS of the first is that same request, and is ignored.
 */
export const SAME_REQUEST_MS = 1_000;

export type StopAction = 'stop' | 'same-request' | 'force';

/** `firstAtMs`: when the first stop signal came (a monotonic clock, ms), or null if none has yet. */
export function stopAction(firstAtMs: number | null, nowMs: number): StopAction {
  if (firstAtMs === null) return 'stop';
  return nowMs - firstAtMs < SAME_REQUEST_MS ? 'same-request' : 'force';
}
