/** Runs the built `peerkeys` executable (npm test builds dist/ first) and collects what it says. */
import { execFile } from 'node:child_process';

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

export function peerkeys(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  return run(process.execPath, [PEERKEYS, ...args], options);
}
