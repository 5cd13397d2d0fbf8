/** `peerkeys verify-log`: audits the registry's own database (see server/log/log-audit.ts). */
import type { Config } from '../../config.js';
import type { Command } from '../command.js';
import { openDatabase } from '../../db/database.js';
import { auditLog } from '../../server/log/log-audit.js';
import { loadLogKey } from '../../server/log/log-key.js';
import { progress } from '../progress.js';

export const VERIFY_LOG_HELP = `usage: peerkeys verify-log [--json]

Re-reads the whole transparency log from the registry's database (DATABASE_URL, or the embedded
database in DATA_DIR), recomputes every leaf, subtree and checkpoint root, re-checks every
signature and replays every chain. Reports each mismatch with the log index it concerns.

  --json   print the report as JSON on stdout

Exit status: 0 when the log verifies, 1 when it does not, 2 on usage or configuration errors.`;

export async function verifyLogCommand(config: Config, options: { json: boolean }): Promise<number> {
  const db = await openDatabase(config.database);
  try {
    const key = loadLogKey(config.log);
    const bar = progress('verifying log entries');
    const report = await auditLog(db, key, { onProgress: (done, total) => bar.update(done, total) });
    if (options.json) {
      bar.finish('');
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (report.problems.length === 0) {
      bar.finish(`log verified: ${report.entries} entries, ${report.checkpoints} checkpoints, root ${report.root}`);
    } else {
      bar.finish(`log verification FAILED: ${report.problems.length} problem(s) in ${report.entries} entries`);
      for (const problem of report.problems) {
        process.stdout.write(`${problem.index === null ? 'log' : `index ${problem.index}`}: ${problem.message}\n`);
      }
    }
    return report.problems.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

export const verifyLog: Command = {
  name: 'verify-log',
  help: VERIFY_LOG_HELP,
  options: { json: { type: 'boolean' } },
  run: ({ env, values }) => verifyLogCommand(env.serverConfig(), { json: values['json'] === true }),
};
