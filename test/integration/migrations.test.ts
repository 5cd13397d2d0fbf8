// prisma/schema.prisma and prisma/migrations must describe the same database, and the runner must
// keep Prisma's bookkeeping so `prisma migrate deploy` could take over.
import { describe, expect, it } from '@jest/globals';
import { migrate } from '../../src/db/migrate.js';
import { readMigrations } from '../../src/db/migrations.js';
import { diffMigrationsToSchema, isEmptyDiff } from '../../src/db/schema-engine.js';
import { openTestDatabase } from '../helpers/database.js';
import { expectWith } from '../helpers/expect-with.js';

describe('migrations', () => {
  it('agree with prisma/schema.prisma (Prisma’s schema engine finds nothing to change)', async () => {
    const diff = await diffMigrationsToSchema();
    expectWith(isEmptyDiff(diff), diff).toBe(true);
  });

  it('apply once, record Prisma’s checksums, and are a no-op the second time', async () => {
    const { db, close } = await openTestDatabase(); // already migrated once
    try {
      expect((await migrate(db)).applied).toEqual([]);
      const rows = await db.transaction((sql) =>
        sql.query<{ migration_name: string; checksum: string; finished_at: Date | null }>('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name'),
      );
      expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(readMigrations().map((m) => [m.name, m.checksum]));
      expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    } finally {
      await close();
    }
  });

  it('refuse a database whose applied migration was edited afterwards', async () => {
    const { db, close } = await openTestDatabase();
    try {
      const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: '0'.repeat(64) } : m));
      await expect(migrate(db, edited)).rejects.toMatchObject({ code: 'MIGRATION_EDITED' });
    } finally {
      await close();
    }
  });
});
