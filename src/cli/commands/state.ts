/** `peerkeys state show` and `peerkeys state forget`: what this client verified, log by log (log-state.ts). */
import { EXIT, JSON_OPTION_HELP, stringOption, UsageError, type Command } from '../command.js';
import { StateFile } from '../log-state.js';
import { statePath } from '../registry-target.js';

const STATE_OPTION_HELP = `  --state <file>    the state file (default: $PEERKEYS_STATE, else <config>/state.json)`;

export const stateShow: Command = {
  name: 'state show',
  help: `usage: peerkeys state show [--state <file>] [--json]

Lists the logs this client keeps state for — each log is an origin and a key — with the size of
the last checkpoint it verified and how many identities and groups it has seen the head of. That
checkpoint is what every later answer from the log must be consistent with.

${STATE_OPTION_HELP}
${JSON_OPTION_HELP}

Exit status: 0; 2 usage (or a state file that is not one).`,
  options: { state: { type: 'string' } },
  async run(invocation) {
    const { ui } = invocation;
    const file = new StateFile(statePath(invocation));
    const logs = file.logs();
    const legacy = [...file.legacyOrigins()].map(([origin, entries]) => ({ origin, entries }));
    if (ui.json) {
      ui.printJson({
        file: file.path,
        logs: logs.map(({ checkpoint, ...log }) => ({ ...log, checkpoint: checkpoint === null ? null : { size: checkpoint.size, root: checkpoint.root } })),
        legacy,
      });
      return EXIT.OK;
    }
    if (logs.length === 0 && legacy.length === 0) ui.print(`no state yet in ${file.path}`);
    for (const log of logs) {
      ui.print(
        `${log.origin}  key ${log.keyId}  ${log.checkpoint === null ? 'no checkpoint yet' : `checkpoint of ${log.checkpoint.size} entries, root ${log.checkpoint.root}`}  ${log.heads} head(s) seen`,
      );
    }
    for (const { origin, entries } of legacy) {
      ui.print(`${origin}  (kept by an earlier version, by origin only: ${entries} entries, adopted by the log whose key signed them when next used)`);
    }
    return EXIT.OK;
  },
};

export const stateForget: Command = {
  name: 'state forget',
  help: `usage: peerkeys state forget <origin> [--key-id <id>] [--state <file>] [--json]

Forgets what this client verified about the log(s) of <origin> (every key's, or only --key-id's):
the last checkpoint, the heads seen, and \`log verify\`'s cursor beside the state file. The next
command then takes the registry's log as it is now, as on first use.

Do this only for a registry you know was reset — restarted on a fresh database with the same key,
say a development registry. For any other registry, an older or different log than the one
verified before is what a registry rewriting its history looks like: keep the state, and tell its
operator. What is forgotten is first copied to <state folder>/forgotten/, as evidence.

(A registry restarted with a NEW key needs none of this: the state is kept per key.)

  <origin>          the log's origin, as \`peerkeys state show\` and the error message name it
  --key-id <id>     only the log of this key id (8 hex digits)
${STATE_OPTION_HELP}
${JSON_OPTION_HELP}

Exit status: 0 forgotten (or nothing to forget: the output says which); 2 usage.`,
  options: { state: { type: 'string' }, 'key-id': { type: 'string' } },
  positionals: 1,
  async run(invocation) {
    const { ui, positionals, values } = invocation;
    const origin = positionals[0];
    if (origin === undefined) throw new UsageError('which log? `peerkeys state forget <origin>` (`peerkeys state show` lists them)');
    const keyId = stringOption(values, 'key-id');
    if (keyId !== undefined && !/^[0-9a-f]{8}$/.test(keyId)) throw new UsageError(`--key-id "${keyId}" is not a key id (8 hex digits, as \`peerkeys state show\` prints)`);
    const file = new StateFile(statePath(invocation));
    const result = file.forget(origin, keyId);
    if (ui.json) {
      ui.printJson({
        origin,
        forgotten: result.forgotten.map(({ checkpoint, ...log }) => ({ ...log, checkpointSize: checkpoint?.size ?? null })),
        legacyEntries: result.legacy,
        cursors: result.cursors,
        archive: result.archive,
      });
      return EXIT.OK;
    }
    if (result.forgotten.length === 0 && result.legacy === 0 && result.cursors.length === 0) {
      const known = file.logs().map((l) => l.origin);
      ui.print(`nothing kept about ${origin}${keyId === undefined ? '' : ` (key ${keyId})`} in ${file.path}${known.length > 0 ? `; it knows: ${[...new Set(known)].join(', ')}` : ''}`);
      return EXIT.OK;
    }
    for (const log of result.forgotten) {
      ui.ok(`forgot ${log.origin} (key ${log.keyId})${log.checkpoint === null ? '' : `: its checkpoint of ${log.checkpoint.size} entries`} and ${log.heads} head(s)`);
    }
    if (result.legacy > 0) ui.ok(`forgot ${result.legacy} entries an earlier version kept for ${origin}`);
    for (const cursor of result.cursors) ui.ok(`removed the log verify cursor ${cursor}`);
    if (result.archive !== null) ui.print(`a copy of what was forgotten is in ${result.archive}`);
    return EXIT.OK;
  },
};
