/**
 * `npm start`: the registry (main.ts) in a Node process of its own, started with the options and
 * environment of server-process.ts, which a package.json script could give only in a POSIX shell's
 * syntax (see test/unit/package-scripts.test.ts).
 *
 * This process stays in between, on the same stdin, stdout and stderr, and ends as the server
 * does: with its exit code, or by the same signal. It passes on the stop signals it receives
 * (`kill`, a service manager, a closed terminal), so the server stops as it would have, had it
 * been the one signalled. A terminal's Ctrl-C reaches both processes, and the server takes the one
 * passed on as the same request (cli/stop-signals.ts). On Windows nothing is passed on: there,
 * signalling a process ends it at once, and Ctrl-C reaches every process of the console, the
 * server too.
 *
 * The server must not outlive this process: it would keep the port and the embedded database in
 * ./data, and the next `npm start` would fail or open a second database on the same files. Signals
 * that cannot be caught (SIGKILL, the OOM killer) or a crash here pass nothing on, so the server
 * also gets an IPC channel, whose end it takes as a request to stop (cli/stop-signals.ts).
 *
 * Like main.ts this is an entry point: it reads the environment, only to pass it on.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exitStatus } from './node/exit-status.js';
import { SERVER_ENV, SERVER_NODE_OPTIONS } from './server-process.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
/** On Windows only listened to (Ctrl-C, Ctrl-Break, the console closed): the server gets them from the console itself. */
const PASSED_ON: readonly NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
/**
 * Signals whose default action writes a core dump. Ending this process by one of them again
 * would write a second core over the server's (in the same directory, where core_pattern is a
 * plain name) and report this process's crash: for these it exits with 128 + n instead.
 */
const CORE_DUMPING = new Set<NodeJS.Signals>(['SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGQUIT', 'SIGSEGV', 'SIGSYS', 'SIGTRAP', 'SIGXCPU', 'SIGXFSZ']);

const server = spawn(process.execPath, [...SERVER_NODE_OPTIONS, MAIN, ...process.argv.slice(2)], {
  env: { ...process.env, ...SERVER_ENV },
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
});

function passOn(signal: NodeJS.Signals): void {
  if (process.platform !== 'win32' && server.exitCode === null && server.signalCode === null) server.kill(signal);
}
// Listening replaces Node's default for these signals (end at once), so that this process
// outlives the server's graceful stop, on Windows too.
for (const signal of PASSED_ON) process.on(signal, passOn);

server.on('error', (error) => {
  console.error(`npm start: could not start the registry: ${error.message}`);
  process.exit(1);
});

server.on('exit', (code, signal) => {
  const status = exitStatus(code, signal);
  if (signal === null || CORE_DUMPING.has(signal)) process.exit(status);
  // Ended by a signal: end by the same one, as a shell's 128 + n shows, with no listener left to
  // catch it; the exit code is that status should the signal not end this process.
  for (const passed of PASSED_ON) process.off(passed, passOn);
  process.exitCode = status;
  process.kill(process.pid, signal);
});
