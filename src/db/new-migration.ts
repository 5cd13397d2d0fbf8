/**
 * `npm run migration:new -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql
 * with the SQL that brings the migrations up to prisma/schema.prisma. Review it before committing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from './migrations.js';
import { diffMigrationsToSchema, isEmptyDiff } from './schema-engine.js';

const name = process.argv[2];
if (name === undefined || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run migration:new -- <name in snake_case>');
  process.exit(2);
}
const script = await diffMigrationsToSchema();
if (isEmptyDiff(script)) {
  console.log('prisma/schema.prisma and prisma/migrations already agree; no migration written.');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = join(MIGRATIONS_DIR, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'migration.sql'), script);
console.log(`wrote ${join(dir, 'migration.sql')}`);
