/** `peerkeys log checkpoint`: the registry's latest checkpoint, verified. */
import { toBase64 } from '../../protocol/encoding.js';
import { JSON_OPTION_HELP, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, WITNESS_OPTIONS, WITNESS_OPTIONS_HELP, type Command } from '../command.js';
import { registryClient } from '../registry-target.js';

export const logCheckpoint: Command = {
  name: 'log checkpoint',
  help: `usage: peerkeys log checkpoint [--json] [--registry <url|profile>] [--vkey <vkey>] [--state <file>]

Fetches the registry's latest checkpoint (a C2SP signed note), verifies its signature against the
pinned key and its consistency with the last checkpoint this client saw (by a consistency proof),
remembers it in the state file, and prints its size, root, key map root, the time it was signed
and the note itself.

${JSON_OPTION_HELP};
                    the checkpoint is { origin, size, root, mapRoot, time, note } (mapRoot and
                    time null for a checkpoint of a registry from before the key map)
${REGISTRY_OPTIONS_HELP}
${WITNESS_OPTIONS_HELP}

Exit status: 0 verified; 1 not verified; 2 usage; 3 log fork (inconsistent with the checkpoint
seen before); 4 registry unreachable.`,
  options: { ...REGISTRY_OPTIONS, ...WITNESS_OPTIONS },
  async run(invocation) {
    const checkpoint = await registryClient(invocation).checkpoint();
    const root = toBase64(checkpoint.root);
    const mapRoot = checkpoint.mapRoot === undefined ? null : toBase64(checkpoint.mapRoot);
    const time = checkpoint.time ?? null;
    const { ui } = invocation;
    if (ui.json) {
      ui.printJson({ origin: checkpoint.origin, size: checkpoint.size, root, mapRoot, time, note: checkpoint.note });
      return 0;
    }
    ui.ok(`checkpoint of ${checkpoint.size} entries, signed by ${checkpoint.origin}, consistent with the last one this client saw`);
    ui.print(`root ${root}`);
    if (mapRoot !== null) ui.print(`key map root ${mapRoot}`);
    if (time !== null) ui.print(`signed at ${new Date(time).toISOString()}`);
    ui.print();
    ui.write(checkpoint.note);
    return 0;
  },
};
