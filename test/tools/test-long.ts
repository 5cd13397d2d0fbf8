/**
 * `npm run test:long`: the fuzzing, resilience, load and long-run suites at their full length,
 * through `npm test` (which builds first). Each length is a variable the suites read; one already
 * set in the environment wins, as an empty one does not (a shell's `${NAME:-default}`). Arguments
 * are passed on to Jest; the exit status is passed back (130 after Ctrl-C). A Node script rather
 * than shell syntax in package.json: see test/unit/package-scripts.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { exitStatus } from '../../src/node/exit-status.js';

const LENGTHS: Record<string, string> = {
  FUZZ_RUNS: '20000',
  RESILIENCE_DOWN_SECONDS: '20',
  RESPONSE_BOUNDS_LOAD_SECONDS: '20',
  LOG_TEST_WRITES: '1000',
  MIRROR_TEST_WRITES: '1000',
  ED25519_TEST_CASES: '2500',
};

const SUITES = [
  'test/integration/hostile-input.test.ts',
  'test/integration/groups-hostile.test.ts',
  'test/integration/resilience.test.ts',
  'test/integration/response-bounds-load.test.ts',
  'test/integration/transparency-log.test.ts',
  'test/integration/mirror.test.ts',
  'test/unit/node-ed25519.test.ts',
];

// npm sets npm_execpath to its own CLI script for the scripts it runs: started with this Node, it
// needs no shell to find `npm` (npm.cmd on Windows).
const npm = process.env['npm_execpath'];
if (npm === undefined || npm === '') throw new Error('run this through npm: npm run test:long');
const env = { ...process.env };
for (const [name, length] of Object.entries(LENGTHS)) env[name] = env[name] || length;
const run = spawnSync(process.execPath, [npm, 'test', '--', ...SUITES, ...process.argv.slice(2)], { env, stdio: 'inherit' });
if (run.error !== undefined) throw run.error;
process.exit(exitStatus(run.status, run.signal));
