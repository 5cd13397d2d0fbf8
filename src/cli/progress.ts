/**
 * Progress on long jobs (log verify, mirror rounds, verify-log), on stderr so stdout stays
 * machine-readable: one line redrawn in place on a terminal — done/total, percent, rate and the
 * time left at that rate. Nothing is drawn when stderr is not a terminal (a file, a CI log, a
 * pipe) or with --json; `finish` messages are printed everywhere but with --json.
 */
export interface Progress {
  update(done: number, total: number): void;
  /** Clears the line and prints `message` (if any) on a line of its own. */
  finish(message: string): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WritableStream;
  /** Draw updates (a terminal, not --json). */
  enabled: boolean;
  /** Print nothing at all, finish messages included (--json). */
  quiet?: boolean;
  /** Milliseconds since some epoch; for tests. */
  now?: () => number;
  /** Redraw at most this often (default 100 ms), and always at the end. */
  intervalMs?: number;
}

/** 42s, 3m 05s, 2h 07m: the time left, to the precision a person uses. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The progress line. The rate is measured from the first update on (a resumed job starts at
 * `done` > 0, and what came before was not this run's work), so the ETA is the remaining work at
 * this run's pace; neither is shown before there is a pace to show.
 */
export function progressLine(label: string, done: number, total: number, first: { done: number; at: number }, now: number): string {
  const seconds = (now - first.at) / 1000;
  const percent = total > 0 ? ` (${Math.floor((Math.min(done, total) / total) * 100)}%)` : '';
  const counts = `${label}: ${done.toLocaleString('en')}/${total.toLocaleString('en')}${percent}`;
  if (seconds <= 0 || done <= first.done) return counts;
  const rate = (done - first.done) / seconds;
  const eta = total > done ? `, ETA ${formatDuration((total - done) / rate)}` : '';
  return `${counts}, ${Math.round(rate).toLocaleString('en')}/s${eta}`;
}

export function progress(label: string, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  let first: { done: number; at: number } | null = null;
  let drawn = false;
  let lastDraw = -Infinity;
  return {
    update(done, total) {
      if (!options.enabled) return;
      const at = now();
      first ??= { done, at };
      if (at - lastDraw < interval && done < total) return;
      lastDraw = at;
      stream.write(`\r${progressLine(label, done, total, first, at)}\u001b[K`);
      drawn = true;
    },
    finish(message) {
      if (options.quiet === true) return;
      if (drawn) stream.write('\r\u001b[K');
      drawn = false;
      if (message !== '') stream.write(`${message}\n`);
    },
  };
}
