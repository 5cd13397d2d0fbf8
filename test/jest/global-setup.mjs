// Jest global setup. Without DATABASE_URL (a newcomer's machine) the integration suites need an
// embedded Postgres; starting PGlite costs seconds, so instead of one per test file there is one
// per Jest worker, in a process of its own (test/jest/embedded-postgres.ts), and each suite works
// in a fresh schema there (test/helpers/database.ts). The URLs reach the workers through the
// environment, one per JEST_WORKER_ID.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts one server; resolves with its URL as soon as it listens (PGlite starts meanwhile).
 * --liftoff-only: V8 compiles PGlite's WebAssembly once, with its baseline compiler, and never
 * again with its optimising one, which spent more CPU optimising than a test run gains from it (a
 * third of the servers' CPU). `npm test` runs Jest and its workers so too (package.json).
 */
function startServer() {
  const child = spawn(process.execPath, ['--liftoff-only', '--import', 'tsx', 'test/jest/embedded-postgres.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the embedded Postgres for the tests exited (${code}) before listening`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match !== null) {
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ child, url: `postgres://postgres@127.0.0.1:${match[1]}/postgres` });
      }
    });
  });
}

export default async function globalSetup(globalConfig) {
  if ((process.env.DATABASE_URL ?? '') !== '') return;
  const workers = Math.max(1, globalConfig.maxWorkers);
  const servers = await Promise.all(Array.from({ length: workers }, startServer));
  globalThis.peerkeysEmbeddedPostgres = servers.map((s) => s.child);
  process.env.PEERKEYS_TEST_EMBEDDED_POSTGRES = servers.map((s) => s.url).join(' ');
}
