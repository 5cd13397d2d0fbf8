/**
 * `npm start`: the registry (main.ts) in a Node process of its own, started with the options and
 * environment of server-process.ts. A package.json script could only give them in a POSIX shell's
 * syntax (`NAME=value node …`), which npm on Windows, running scripts with cmd.exe, cannot run.
 *
 * This process stays in between, on the same stdin, stdout and stderr, and ends as the server
 * does: with its exit code, or by the same signal. It passes on the SIGINT and SIGTERM it receives
 * (`kill`, a service manager), so the server stops gracefully when it is the one signalled. A
 * terminal's Ctrl-C reaches both processes, and the server takes the one passed on as the same
 * request (cli/stop-signals.ts). On Windows nothing is passed on: there, signalling a process ends
 * it at once, and Ctrl-C reaches every process of the console, the server too.
 *
 * Like main.ts this is an entry point: it reads the environment, only to pass it on.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SERVER_ENV, SERVER_NODE_OPTIONS } from './server-process.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const PASSED_ON = ['SIGINT', 'SIGTERM'] as const;

const server = spawn(process.execPath, [...SERVER_NODE_OPTIONS, MAIN, ...process.argv.slice(2)], {
  env: { ...process.env, ...SERVER_ENV },
  stdio: 'inherit',
});

function passOn(signal: NodeJS.Signals): void {
  if (process.platform !== 'win32' && server.exitCode === null && server.signalCode === null) server.kill(signal);
}
// Listening also keeps this process alive until the server has ended, on Windows too.
for (const signal of PASSED_ON) process.on(signal, passOn);

server.on('error', (error) => {
  console.error(`npm start: could not start the registry: ${error.message}`);
  process.exit(1);
});

server.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Ended by a signal: end by the same one, as a shell's 128 + n shows, with no listener left to
  // catch it; the exit code is that status should the signal not end this process.
  for (const passed of PASSED_ON) process.off(passed, passOn);
  process.exitCode = 128 + (constants.signals[signal] ?? 0);
  process.kill(process.pid, signal);
});
