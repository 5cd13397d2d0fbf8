/** `peerkeys log verify`: re-verifies a registry's whole log from its public API (see log-verifier.ts). */
import { dirname, join } from 'node:path';
import { RegistryFeed } from '../../mirror/registry-feed.js';
import { parseVerifierKey } from '../../protocol/checkpoint.js';
import { toHex } from '../../protocol/encoding.js';
import { FileStore } from '../../sdk/node/file-store.js';
import { EXIT, integerOption, REGISTRY_OPTIONS, REGISTRY_OPTIONS_HELP, stringOption, type Command } from '../command.js';
import { verifyRemoteLog } from '../log-verifier.js';
import { print, printJson } from '../output.js';
import { progress } from '../progress.js';
import { registryTarget, statePath } from '../registry-target.js';

export const logVerify: Command = {
  name: 'log verify',
  help: `usage: peerkeys log verify [--cursor <file>] [--from-start] [--max-entries <n>] [--json]
                          [--registry <url> --vkey <vkey>] [--state <file>]

Audits a registry from outside, trusting nothing but the pinned key: pages through every log
entry, checks every record's schema and signatures, replays every identity chain by the
registry's own rules, recomputes the Merkle tree, and requires the root at each checkpoint's size
to be that checkpoint's root. Every checkpoint fetched is verified against the pinned key and
checked for consistency with the last one this client saw. Progress goes to stderr.

Where it got to is saved after every page in a cursor file (the tree's frontier and the chains'
replay state), so an interrupted run continues where it stopped, and the next run checks only
what the log gained since.

  --cursor <file>   the cursor (default: log-verify-<origin>.json next to the state file)
  --from-start      ignore the cursor and verify from entry 0
  --max-entries <n> verify at most n entries this run, then stop (the cursor keeps the place)
  --json            print the report as JSON
${REGISTRY_OPTIONS_HELP}

Exit status: 0 the log verifies; 1 a record or proof does not (each problem is printed with its
log index); 2 usage; 3 log fork: signed checkpoints that contradict each other or the records
served; 4 registry unreachable.`,
  options: {
    ...REGISTRY_OPTIONS,
    cursor: { type: 'string' },
    'from-start': { type: 'boolean' },
    'max-entries': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(invocation) {
    const { values } = invocation;
    const target = registryTarget(invocation);
    const state = statePath(invocation);
    const key = parseVerifierKey(target.vkey)!;
    const cursorPath = stringOption(values, 'cursor') ?? join(dirname(state), `log-verify-${key.name.replace(/[^A-Za-z0-9.-]+/g, '_')}-${toHex(key.keyId)}.json`);
    const maxEntries = values['max-entries'] === undefined ? undefined : integerOption(values, 'max-entries', 0);
    const bar = progress('verifying log entries');
    const report = await verifyRemoteLog({
      feed: new RegistryFeed({ url: target.url, vkey: target.vkey, store: new FileStore(state) }),
      vkey: target.vkey,
      cursorPath,
      fromStart: values['from-start'] === true,
      ...(maxEntries !== undefined ? { maxEntries } : {}),
      onProgress: (done, total) => bar.update(done, total),
    });
    const code = report.fork !== null ? EXIT.FORK : report.problems.length > 0 ? EXIT.FAILED : EXIT.OK;
    if (values['json'] === true) {
      bar.finish('');
      printJson(report);
      return code;
    }
    if (report.resumedAt > 0) bar.finish(`resumed at entry ${report.resumedAt} from ${cursorPath}`);
    else bar.finish(`verifying from entry 0 (cursor: ${cursorPath})`);
    if (report.fork !== null) {
      print(`LOG FORK: ${report.fork}`);
      print(`The registry at ${report.registry} signed a checkpoint of ${report.checkpoint.size} entries with root ${report.checkpoint.root}; keep it as evidence.`);
    }
    if (report.problems.length > 0) {
      print(`log verification FAILED: ${report.problems.length} problem(s) in entries ${report.resumedAt}–${report.verified - 1}`);
      for (const problem of report.problems) print(`${problem.index === null ? 'log' : `index ${problem.index}`}: ${problem.message}`);
    } else if (report.fork === null) {
      print(
        report.complete
          ? `log verified: ${report.verified} entries, root ${report.root}, the registry's checkpoint of size ${report.checkpoint.size}`
          : `verified ${report.verified} of ${report.checkpoint.size} entries so far; run again to continue`,
      );
    }
    return code;
  },
};
