/**
 * The exit status that a script which ran a child process passes on: the child's own, or, for a
 * child ended by a signal, 128 + the signal's number, as a POSIX shell reports it (130 after
 * Ctrl-C's SIGINT), so that whoever runs the script sees that it was interrupted, not that it failed.
 */
import { constants } from 'node:os';

export function exitStatus(status: number | null, signal: NodeJS.Signals | null): number {
  if (status !== null) return status;
  const number = signal === null ? undefined : constants.signals[signal];
  return number === undefined ? 1 : 128 + number;
}
