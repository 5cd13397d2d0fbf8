/**
 * Applies prisma/migrations in order, each in the same transaction as its bookkeeping row, and
 * records them in `_prisma_migrations` exactly as `prisma migrate deploy` does, so a deployment
 * that has Prisma's CLI (and network for its engine) can switch to it at any time.
 *
 * Prisma's CLI needs a schema-engine binary that these machines cannot download; this runner
 * needs nothing but the database. A Postgres advisory lock (the same key Prisma takes) lets
 * several registry processes start at once: one migrates, the others wait and find nothing to do.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { readMigrations, type Migration } from './migrations.js';

const PRISMA_MIGRATE_LOCK = 72707369;

/**
 * A migration rewriting a large table (and processes waiting on the lock above while it runs) may
 * take far longer than a write's transaction: bounded only against a session that never ends.
 */
const MIGRATION_TIMEOUT_MS = 3_600_000;

const BOOKKEEPING_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Why migrating stopped, for operators' scripts and tests (DESIGN.md §9): never the message. */
export type MigrationErrorCode =
  /** A migration started earlier never finished and was not marked rolled back. */
  | 'MIGRATION_UNRESOLVED'
  /** An applied migration's file was changed afterwards (its checksum differs). */
  | 'MIGRATION_EDITED'
  /** A migration's SQL failed: nothing of it was applied (it runs in the transaction). */
  | 'MIGRATION_FAILED';

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    /** The migration concerned. */
    readonly migration: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(database: Database, migrations: Migration[] = readMigrations()): Promise<MigrationReport> {
  return database.transaction(async (sql) => {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await sql.exec(BOOKKEEPING_TABLE);
    const rows = await sql.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed !== undefined) {
      throw new MigrationError('MIGRATION_UNRESOLVED', failed.migration_name, `migration ${failed.migration_name} failed earlier and was not resolved; fix the database, then mark it rolled back`);
    }
    const done = new Map(rows.filter((row) => row.finished_at !== null).map((row) => [row.migration_name, row.checksum]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError('MIGRATION_EDITED', migration.name, `migration ${migration.name} was edited after it was applied (checksum differs); add a new migration instead`);
        }
        continue;
      }
      try {
        await sql.exec(migration.sql);
      } catch (error) {
        throw new MigrationError('MIGRATION_FAILED', migration.name, `migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      await sql.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      applied.push(migration.name);
    }
    return { applied, alreadyApplied: done.size };
  }, { timeoutMs: MIGRATION_TIMEOUT_MS });
}
