/**
 * `npm run generate`: `prisma generate` (the Prisma client in src/db/generated), with
 * PRISMA_SCHEMA_ENGINE_BINARY set to an existing file, package.json, unless it is set already.
 * Prisma's CLI otherwise downloads its schema-engine binary first, from a host of its own that a
 * machine with only the npm registry cannot reach, although generating needs no engine. Nothing
 * else here needs it either: the client runs on a driver adapter, src/db/migrate.ts applies the
 * migrations, and src/db/schema-engine.ts writes new ones with the engine's WebAssembly build.
 * A Node script rather than a shell prefix in package.json: see test/unit/package-scripts.test.ts.
 * Arguments are passed on to `prisma generate`; its exit status is passed back (130 after Ctrl-C).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { exitStatus } from '../node/exit-status.js';

const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env['PRISMA_SCHEMA_ENGINE_BINARY'] || 'package.json' };
const run = spawnSync(process.execPath, [prismaCli, 'generate', ...process.argv.slice(2)], { env, stdio: 'inherit' });
if (run.error !== undefined) throw run.error;
process.exit(exitStatus(run.status, run.signal));
