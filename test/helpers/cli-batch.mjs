// Runs several `peerkeys` command lines in ONE Node process, one after another, through the
// executable's own entry point (main() of dist/cli/main.js, as dist/cli/peerkeys.js calls it):
//   node test/helpers/cli-batch.mjs <batch.json>
// batch.json: [{ "args": [...], "cwd": "...", "env": { ... } }, ...]. Prints a JSON array of
// { "code", "stdout", "stderr" }, one per command line: the status it exits with and everything it
// wrote, as if it had run alone (test/helpers/cli.ts peerkeysBatch says when to use it).
//
// Each command line gets exactly its own environment and working directory. Its writes to stdout
// and stderr are captured; its process.exit(code) ends that command line only, with that code.
import { readFileSync } from 'node:fs';
import { main } from '../../dist/cli/main.js';

class Exit {
  constructor(code) {
    this.code = code;
  }
}

const runs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const write = { stdout: process.stdout.write, stderr: process.stderr.write };
const exit = process.exit;
const results = [];

function capture(stream, sink) {
  process[stream].write = (chunk, encoding, callback) => {
    sink.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  };
}

for (const { args, cwd, env } of runs) {
  const out = { text: '' };
  const err = { text: '' };
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  process.chdir(cwd);
  process.exitCode = undefined;
  capture('stdout', out);
  capture('stderr', err);
  process.exit = (code) => {
    throw new Exit(code ?? process.exitCode ?? 0);
  };
  let code;
  try {
    await main(args);
    code = process.exitCode ?? 0;
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
    process.exit = exit;
  }
  results.push({ code, stdout: out.text, stderr: err.text });
}
process.exitCode = 0;
process.stdout.write(JSON.stringify(results));
