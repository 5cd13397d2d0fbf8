/**
 * Development tool: Prisma's own schema engine, compiled to WebAssembly, driven over a database
 * adapter (ENVIRONMENT.md: the native engine cannot be downloaded here). It writes new migrations
 * from prisma/schema.prisma and lets a test prove that schema and migrations agree. The runtime
 * never loads it: migrate.ts applies migrations on its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { MIGRATIONS_DIR, readMigrations } from './migrations.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../../prisma/schema.prisma', import.meta.url));

interface WasmSchemaEngine {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
}

/**
 * The package's entry imports a .wasm file as an ES module, which Node does not do; load the
 * wasm-bindgen glue and instantiate the module ourselves.
 */
async function loadEngine(schema: string): Promise<WasmSchemaEngine> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@prisma/schema-engine-wasm'));
  const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, 'schema_engine_bg.wasm')), { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
  // The engine replays migrations on a shadow database: an in-memory PGlite.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(new PGlite()));
  return glue.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
}

/** The SQL that takes a database from the state the migrations build to the state the schema describes. */
export async function diffMigrationsToSchema(): Promise<string> {
  const schema = readFileSync(SCHEMA_FILE, 'utf8');
  const engine = await loadEngine(schema);
  const migrations = readMigrations();
  const lockfile = join(MIGRATIONS_DIR, 'migration_lock.toml');
  const from =
    migrations.length === 0
      ? { tag: 'empty' }
      : {
          tag: 'migrations',
          baseDir: MIGRATIONS_DIR,
          lockfile: { path: 'migration_lock.toml', content: existsSync(lockfile) ? readFileSync(lockfile, 'utf8') : null },
          shadowDbInitScript: '',
          migrationDirectories: migrations.map((m) => ({
            path: m.name,
            migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
          })),
        };
  const result = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_FILE, content: schema }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  return result.stdout ?? '';
}

/** True when a diff script has no statements (the engine still prints comments). */
export function isEmptyDiff(script: string): boolean {
  return script.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}
