/**
 * `peerkeys log verify`: re-verifies a registry's whole log — from its public API (log-verifier.ts),
 * or with --database from the registry's own database (verify-log.ts, also `peerkeys verify-log`).
 * Both replay the log through src/ledger/replay.ts.
 */
import { FollowerFeed } from '../../mirror/follower-feed.js';
import { useNodeSha256 } from '../../node/node-sha256.js';
import { useSodiumKeyCheck } from '../../node/sodium-key-check.js';
import { DEFAULT_MAX_CHECKPOINT_AGE_MS } from '../../sdk/map-verify.js';
import { EXIT, integerOption, UsageError, JSON_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, stringOption, type Command } from '../command.js';
import { defaultCursorPath } from '../log-state.js';
import { verifyRemoteLog } from '../log-verifier.js';
import { logStore, registryTarget, statePath } from '../registry-target.js';
import { TILES_OPTION, TILES_OPTION_HELP, tilesOption } from '../tiles-option.js';

export const logVerify: Command = {
  name: 'log verify',
  help: `usage: peerkeys log verify [--cursor <file>] [--from-start] [--max-entries <n>] [--tiles <url|off>] [--json]
                          [--registry <url|profile>] [--vkey <vkey>] [--state <file>]
       peerkeys log verify --database [--json]      (the same as: peerkeys verify-log)

Two sources, one check: without --database, a client's audit of any registry through its
public API; with --database, the operator's audit of the registry's own database (DATABASE_URL
or DATA_DIR), which also checks the stored subtrees and tables — see \`peerkeys verify-log --help\`
for that form and its exit statuses (0, 1, 2).

From the public API, it audits a registry from outside, trusting nothing but the pinned key: pages through every log
entry, checks every record's schema and signatures, replays every identity chain by the
registry's own rules, recomputes the Merkle tree, and requires the root at each checkpoint's size
to be that checkpoint's root. It folds the entries into the key map as well, and requires each
checkpoint's map root to be the map's root at its size (a checkpoint from a registry older than
the key map has no map root: that is said, not failed; so is a checkpoint older than clients
accept). Every checkpoint fetched is verified
against the pinned key and checked for consistency with the last one this client saw. Progress,
with the time left, goes to stderr on a terminal.

Where it got to is saved after every page in a cursor file (the tree's frontier and the chains'
replay state), so an interrupted run continues where it stopped, and the next run checks only
what the log gained since.

  --cursor <file>   the cursor (default: log-verify-<origin>.json next to the state file)
  --from-start      ignore the cursor and verify from entry 0
  --max-entries <n> verify at most n entries this run, then stop (the cursor keeps the place)
${TILES_OPTION_HELP}
${JSON_OPTION_HELP};
                    the report is the object
${REGISTRY_OPTIONS_HELP}

Exit status: 0 the log verifies; 1 a record or proof does not (each problem is printed with its
log index); 2 usage; 3 log fork: signed checkpoints that contradict each other or the records
served, or MAP_ROOT_MISMATCH: a signed checkpoint whose key map root is not the map of its
entries (the signed note is printed: keep it as evidence); 4 registry unreachable.`,
  options: {
    ...REGISTRY_OPTIONS,
    cursor: { type: 'string' },
    'from-start': { type: 'boolean' },
    'max-entries': { type: 'string' },
    ...TILES_OPTION,
    database: { type: 'boolean' },
  },
  async run(invocation) {
    const { values, ui, env } = invocation;
    if (values['database'] === true) {
      const client = Object.keys(values).filter((name) => name !== 'database' && name !== 'json' && values[name] !== undefined);
      if (client.length > 0) throw new UsageError(`--database audits the registry's own database: it takes no --${client.join(', --')}`);
      // Loaded only here: the database's modules take seconds to load, which an API audit need not wait for.
      const { verifyLogCommand } = await import('./verify-log.js');
      return verifyLogCommand(env.serverConfig(), { ui, explicitOrigin: env.serverVariable('LOG_ORIGIN') });
    }
    const target = registryTarget(invocation);
    const cursorPath = stringOption(values, 'cursor') ?? defaultCursorPath(statePath(invocation), target.key);
    const maxEntries = values['max-entries'] === undefined ? undefined : integerOption(values, 'max-entries', 0);
    const tiles = tilesOption(values);
    // The audit replays every record, each with keys to check and hashes to compute: libsodium's
    // key check and OpenSSL's SHA-256, not pure JS.
    await useSodiumKeyCheck();
    useNodeSha256();
    const bar = ui.progress('verifying log entries');
    const report = await verifyRemoteLog({
      // Any age: clients refuse an old checkpoint (STALE_CHECKPOINT), an audit checks the log it signs and says how old it is.
      feed: new FollowerFeed({ url: target.url, vkey: target.vkey, tiles, store: logStore(invocation, target), maxCheckpointAgeMs: Number.POSITIVE_INFINITY }),
      vkey: target.vkey,
      cursorPath,
      fromStart: values['from-start'] === true,
      ...(maxEntries !== undefined ? { maxEntries } : {}),
      onProgress: (done, total) => bar.update(done, total),
    });
    const code = report.fork !== null || report.mapRootMismatch !== null ? EXIT.FORK : report.problems.length > 0 ? EXIT.FAILED : EXIT.OK;
    if (ui.json) {
      ui.printJson(report);
      return code;
    }
    if (report.resumedAt > 0) bar.finish(`resumed at entry ${report.resumedAt} from ${cursorPath}`);
    else bar.finish(`verifying from entry 0 (cursor: ${cursorPath})`);
    if (report.fork !== null) {
      ui.bad(`LOG FORK: ${report.fork}`);
      ui.print(`The registry at ${report.registry} signed a checkpoint of ${report.checkpoint.size} entries with root ${report.checkpoint.root}; keep it as evidence.`);
    }
    const mismatch = report.mapRootMismatch;
    if (mismatch !== null) {
      ui.bad(`MAP_ROOT_MISMATCH: ${mismatch.message}: it signs ${mismatch.mapRoot}, the entries give ${mismatch.recomputed}`);
      ui.print(`The registry at ${report.registry} signed this checkpoint; keep it as evidence:\n${mismatch.note}`);
    }
    const { time } = report.checkpoint;
    if (time !== null && Date.now() - time > DEFAULT_MAX_CHECKPOINT_AGE_MS) {
      ui.note(`the registry's latest checkpoint was signed at ${new Date(time).toISOString()}, ${Math.round((Date.now() - time) / 60_000)} minutes ago: clients refuse answers with it (STALE_CHECKPOINT)`);
    }
    if (report.withoutMapRoot.length > 0) {
      ui.note(`no key map root to check in the registry's checkpoint${report.withoutMapRoot.length > 1 ? 's' : ''} of size ${report.withoutMapRoot.join(', ')} (signed by a registry from before the key map)`);
    }
    if (report.problems.length > 0) {
      ui.bad(`log verification FAILED: ${report.problems.length} problem(s) in entries ${report.resumedAt}–${report.verified - 1}`);
      for (const problem of report.problems) ui.print(`${problem.index === null ? 'log' : `index ${problem.index}`}: ${problem.message}`);
    } else if (report.fork === null && mismatch === null) {
      if (report.complete) {
        ui.ok(`log verified: ${report.verified} entries, root ${report.root}, the registry's checkpoint of size ${report.checkpoint.size}${report.checkpoint.mapRoot === null ? '' : `, key map root ${report.checkpoint.mapRoot}`}`);
      }
      else ui.print(`verified ${report.verified} of ${report.checkpoint.size} entries so far; run again to continue`);
    }
    return code;
  },
};
