/** `peerkeys migrate`: applies pending migrations to the configured database and exits. */
import type { Config } from '../../config.js';
import { EXIT, type Command } from '../command.js';
import { CommandFailure } from '../failure.js';
import { openDatabase } from '../../db/database.js';
import { migrate, MigrationError, type MigrationReport } from '../../db/migrate.js';
import type { Ui } from '../output.js';

export const MIGRATE_HELP = `usage: peerkeys migrate [--json]

Applies the migrations in prisma/migrations that the database (DATABASE_URL, or the embedded
database in DATA_DIR) has not seen, and records them in _prisma_migrations as Prisma does.
The registry also does this by itself at every start.

  --json   print { applied: [names], alreadyApplied: n }`;

export async function migrateCommand(config: Config, ui?: Ui): Promise<number> {
  const db = await openDatabase(config.database);
  try {
    let report: MigrationReport;
    try {
      report = await migrate(db);
    } catch (error) {
      if (error instanceof MigrationError) throw new CommandFailure(error.message, EXIT.FAILED, error.code, { migration: error.migration });
      throw error;
    }
    if (ui?.json === true) {
      ui.printJson({ applied: report.applied, alreadyApplied: report.alreadyApplied });
      return 0;
    }
    console.log(
      report.applied.length === 0
        ? `database is up to date (${report.alreadyApplied} migration(s) applied earlier)`
        : `applied ${report.applied.length} migration(s): ${report.applied.join(', ')}`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

export const migrateDatabase: Command = {
  name: 'migrate',
  help: MIGRATE_HELP,
  options: {},
  run: ({ env, ui }) => migrateCommand(env.serverConfig(), ui),
};
