/**
 * `npm run generate`: `prisma generate` (the Prisma client in src/db/generated), with
 * PRISMA_SCHEMA_ENGINE_BINARY set to an existing file, package.json, unless it is set already.
 * Prisma's CLI otherwise downloads its schema-engine binary first, from a host of its own that a
 * machine with only the npm registry cannot reach, although generating needs no engine. Nothing
 * else here needs it either: the client runs on a driver adapter, src/db/migrate.ts applies the
 * migrations, and src/db/schema-engine.ts writes new ones with the engine's WebAssembly build.
 * Written in TypeScript, not as a shell prefix in package.json, so that it runs under cmd.exe too.
 * Arguments are passed on to `prisma generate`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env['PRISMA_SCHEMA_ENGINE_BINARY'] || 'package.json' };
const run = spawnSync(process.execPath, [prismaCli, 'generate', ...process.argv.slice(2)], { env, stdio: 'inherit' });
if (run.error !== undefined) throw run.error;
process.exit(run.status ?? 1);
