/** Runs the built `peerkeys` executable (npm test builds dist/ first) and collects what it says. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const PEERKEYS = `${ROOT}dist/cli/peerkeys.js`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a CLI run inherits, without any PEERKEYS_* or database settings of the test run's own. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(PEERKEYS_|DATABASE_|DATA_DIR$|LOG_|XDG_CONFIG_HOME$)/.test(name)) env[name] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs `file` with `args`; resolves with the exit code and output, also for a non-zero exit. */
export function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error);
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

/**
 * --liftoff-only, as `npm test` runs Jest: the commands that open an embedded database (PGlite,
 * WebAssembly) spent half their CPU having V8 optimise code they run for a second. No effect on
 * what they do. For every process a test starts from the build (child-witness.ts too).
 */
export const NODE_FLAGS = ['--liftoff-only'];

export function peerkeys(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  return run(process.execPath, [...NODE_FLAGS, PEERKEYS, ...args], options);
}

/**
 * Runs several command lines in ONE Node process, one after another, through the executable's own
 * entry point (test/helpers/cli-batch.mjs): each with its own environment and working directory,
 * its exit status and output captured as if it had run alone. For tests that look at nothing but
 * each command's exit status and output (every command's help or usage errors, a sequence of
 * --json results): starting Node and loading the CLI costs about 0.3 s of CPU per command line.
 * Tests of the process itself (a terminal, signals, a server, concurrency) run it as its own
 * process with peerkeys().
 */
export async function peerkeysBatch(runs: Array<{ args: string[]; cwd: string; env: NodeJS.ProcessEnv }>): Promise<CliRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'peerkeys-batch-'));
  try {
    const batch = join(dir, 'batch.json');
    writeFileSync(batch, JSON.stringify(runs));
    const result = await run(process.execPath, [...NODE_FLAGS, `${ROOT}test/helpers/cli-batch.mjs`, batch], { cwd: ROOT, env: cleanEnv({}) });
    if (result.code !== 0) throw new Error(`cli-batch.mjs exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as CliRun[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
