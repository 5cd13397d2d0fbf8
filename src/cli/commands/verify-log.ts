/**
 * `peerkeys verify-log`, the same as `peerkeys log verify --database`: audits the registry's own
 * database (see db/log-audit.ts). Kept under its name for the scripts that run it.
 */
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { latestCheckpoint } from '../../db/log-repository.js';
import { isValidKeyName, parseCheckpointNote, verifyCheckpointNote } from '../../protocol/checkpoint.js';
import { EXIT, type Command } from '../command.js';
import { openDatabase } from '../../db/database.js';
import { auditLog } from '../../db/log-audit.js';
import { loadLogKey, type LogKey } from '../../node/log-key.js';
import { nodeVerify } from '../../node/node-ed25519.js';
import { useNodeSha256 } from '../../node/node-sha256.js';
import { useSodiumKeyCheck } from '../../node/sodium-key-check.js';
import { CommandFailure } from '../failure.js';
import type { Ui } from '../output.js';

export const VERIFY_LOG_HELP = `usage: peerkeys verify-log [--json]
       (the same as: peerkeys log verify --database [--json])

The operator's audit: re-reads the whole transparency log from the registry's database (DATABASE_URL, or the embedded
database in DATA_DIR), recomputes every leaf, subtree and checkpoint root, re-checks every
signature and replays every chain. Reports each mismatch with the log index it concerns. It folds
the entries into the key map as well and requires each checkpoint's map root to be the map's root
at its size; checkpoints signed before the key map have no map root, and are counted.

The log's origin is read from its own checkpoints (those the configured key signed): without
LOG_ORIGIN, the one PUBLIC_URL and PORT would give does not matter. A LOG_ORIGIN that differs
from the log's is one configuration error (exit 2, ORIGIN_MISMATCH), not a problem per entry.

  --json   print the report as JSON on stdout

A client's audit of a registry it does not run is \`peerkeys log verify\` (its public API, trusting
only the pinned key). Both replay the log with the same code.

Exit status: 0 when the log verifies, 1 when it does not, 2 on usage or configuration errors, 3 on
MAP_ROOT_MISMATCH: a checkpoint validly signed by the log key whose key map root is not the map of
its entries (the signed note is printed: keep it as evidence).`;

/**
 * The key to audit the stored log with: the configured signing key, under the origin the log's
 * latest checkpoint states — when that key signed that checkpoint under that origin, which is what
 * shows the origin is the log's own and not an edit of the note. Without LOG_ORIGIN, the origin
 * PUBLIC_URL and PORT would give is only a default, and the log's own is used; a LOG_ORIGIN that
 * differs is one configuration error. In every other case the configured key is used, and the
 * audit reports what does not verify.
 */
async function auditKey(db: Database, config: Config, explicitOrigin: string | undefined): Promise<{ key: LogKey; note: string | null }> {
  const configured = loadLogKey(config.log);
  const latest = await latestCheckpoint(db);
  const stated = latest === null ? null : parseCheckpointNote(latest.note);
  if (latest === null || stated === null || stated.origin === config.log.origin || !isValidKeyName(stated.origin)) return { key: configured, note: null };
  const key = loadLogKey({ ...config.log, origin: stated.origin });
  if ((await verifyCheckpointNote(latest.note, key.noteKey, nodeVerify)) === null) return { key: configured, note: null };
  if (explicitOrigin !== undefined) {
    throw new CommandFailure(
      `configuration error: LOG_ORIGIN is "${explicitOrigin}", but the log in this database is "${stated.origin}": its checkpoints name that origin, signed by the configured key`,
      EXIT.USAGE,
      'ORIGIN_MISMATCH',
      { configuredOrigin: explicitOrigin, logOrigin: stated.origin },
      `The origin is part of the log's identity (clients pin it with the key): set LOG_ORIGIN=${stated.origin}, or point DATABASE_URL or DATA_DIR at the log you meant.`,
    );
  }
  return {
    key,
    note: `the log's origin is ${stated.origin}, read from its checkpoints (LOG_ORIGIN is unset; PUBLIC_URL and PORT here would give ${config.log.origin})`,
  };
}

export async function verifyLogCommand(config: Config, options: { ui: Ui; explicitOrigin?: string | undefined }): Promise<number> {
  const { ui } = options;
  // The audit replays every record, each with keys to check and hashes to compute: libsodium's
  // key check and OpenSSL's SHA-256, not pure JS.
  await useSodiumKeyCheck();
  useNodeSha256();
  const db = await openDatabase(config.database);
  try {
    const { key, note } = await auditKey(db, config, options.explicitOrigin);
    if (note !== null) ui.note(note);
    const bar = ui.progress('verifying log entries');
    const report = await auditLog(db, key, { onProgress: (done, total) => bar.update(done, total) });
    const mismatch = report.mapRootMismatch;
    const code = mismatch !== null ? EXIT.FORK : report.problems.length === 0 ? EXIT.OK : EXIT.FAILED;
    if (ui.json) {
      ui.printJson({ origin: key.origin, ...report });
      return code;
    }
    if (report.problems.length === 0 && mismatch === null) {
      bar.finish(`${ui.mark(true, 'err')} log verified: ${report.entries} entries, ${report.checkpoints} checkpoints, root ${report.root}, key map root ${report.mapRoot}`);
    } else if (report.problems.length > 0) {
      bar.finish(`${ui.mark(false, 'err')} log verification FAILED: ${report.problems.length} problem(s) in ${report.entries} entries`);
      for (const problem of report.problems) ui.print(`${problem.index === null ? 'log' : `index ${problem.index}`}: ${problem.message}`);
    } else bar.finish(`${ui.mark(false, 'err')} log verification FAILED`);
    if (mismatch !== null) {
      ui.bad(`MAP_ROOT_MISMATCH: ${mismatch.message}: it signs ${mismatch.mapRoot}, the entries give ${mismatch.recomputed}`);
      ui.print(`This checkpoint is signed by the log key; keep it as evidence:\n${mismatch.note}`);
    }
    if (report.withoutMapRoot > 0) ui.note(`${report.withoutMapRoot} of ${report.checkpoints} checkpoints have no key map root to check (signed before the key map)`);
    return code;
  } finally {
    await db.close();
  }
}

export const verifyLog: Command = {
  name: 'verify-log',
  help: VERIFY_LOG_HELP,
  options: {},
  run: ({ env, ui }) => verifyLogCommand(env.serverConfig(), { ui, explicitOrigin: env.serverVariable('LOG_ORIGIN') }),
};
