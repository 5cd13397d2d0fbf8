/**
 * Progress on long jobs, on stderr so stdout stays machine-readable: a line redrawn in place on a
 * terminal, and at most one line every few seconds when output goes to a file or CI log.
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(message: string): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let lastLine = 0;
  const line = (done: number, total: number) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const percent = total > 0 ? ` (${Math.floor((done / total) * 100)}%)` : '';
    return `${label}: ${done.toLocaleString('en')}/${total.toLocaleString('en')}${percent}, ${rate.toLocaleString('en')}/s`;
  };
  return {
    update(done, total) {
      if (stream.isTTY) {
        stream.write(`\r${line(done, total)}\u001b[K`);
      } else if (Date.now() - lastLine >= 5000 || done === total) {
        lastLine = Date.now();
        stream.write(`${line(done, total)}\n`);
      }
    },
    finish(message) {
      stream.write(`${stream.isTTY ? '\r\u001b[K' : ''}${message}\n`);
    },
  };
}
