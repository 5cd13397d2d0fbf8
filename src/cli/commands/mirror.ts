/** `peerkeys mirror`: follows a registry, keeps a verified copy of its log and serves it read-only. */
import { createMirror } from '../../mirror/mirror.js';
import { describeFork, describeMapMismatch, type MapRootStatus, type RoundResult } from '../../mirror/follower.js';
import { durationOption, EXIT, REGISTRY_OPTIONS, type Command } from '../command.js';
import { registryTarget } from '../registry-target.js';
import { onStopSignals, STOP_SIGNALS_HELP } from '../stop-signals.js';
import { TILES_OPTION, TILES_OPTION_HELP, tilesOption } from '../tiles-option.js';

export const mirror: Command = {
  name: 'mirror',
  help: `usage: peerkeys mirror [--registry <url|profile>] [--vkey <vkey>] [--tiles <url|off>] [--interval <time>] [--once] [--json]

Follows a registry and keeps a verified copy of its log in the mirror's own database, and serves
the same read API from it (lookups, audit histories, devices, checkpoints, proofs, entries, the
docs). Lookups carry the registry's own signed checkpoints, unchanged: clients verify a mirror's
answers against the REGISTRY's vkey exactly as they verify the registry's. A mirror signs nothing.

Writes are refused: any POST or PUT (any method but GET and HEAD) answers 404 NOT_FOUND as
application/problem+json, naming the registry to send it to.

Each round it fetches the registry's checkpoint, verifies its signature with the pinned vkey and
its consistency with the checkpoint the mirror holds, pages through the new entries, checks each
record (schema, signatures, chain rules), recomputes the tree, and commits the new entries only
if the root at the checkpoint's size is the checkpoint's root. Device records, which are not in
the log, are copied for users whose chain changed and refreshed in a rolling sweep, each checked
against the user's verified key.

If the registry forks its log (a checkpoint inconsistent with the one the mirror holds, or valid
records that do not produce its checkpoint's root), the mirror prints a FORK message with both
checkpoints, stops following, keeps serving what it verified, and /readyz answers 503 with the
reason. It folds the entries into the key map too, and stops the same way, printing
MAP_ROOT_MISMATCH and the checkpoint, when a checkpoint's key map root is not the map of its
entries (a checkpoint from a registry older than the key map has no map root: that is said). It stops the same way, with a clear message, on a record that does not verify or is of a
kind this version of peerkeys does not know. Restart it once the cause is understood.

  --registry <url|profile>  the registry to follow (default: $PEERKEYS_REGISTRY, else the
                    default profile of \`peerkeys pin\`)
  --vkey <vkey>     the registry's log verifier key, pinned out of band (default: the profile's,
                    else $PEERKEYS_VKEY)
${TILES_OPTION_HELP}
  --interval <time> how often to poll: 10s, 1m, 500ms (default 10s)
  --once            catch up once and exit, without serving (cron jobs, audits)
  --json            each round's result as one JSON object on stdout ({ status, size, ... });
                    with --once, the one round's (progress and messages are left out)

The mirror's HTTP server, database and rate limits are configured by the same environment as
\`peerkeys serve\` (HOST, PORT, DATABASE_URL, DATABASE_SCHEMA, DATA_DIR, TRUST_PROXY, TLS_*,
RATE_LIMIT*, REDIS_URL, LOG_LEVEL), except that DATA_DIR defaults to ./mirror-data so that it
never opens a registry's ./data; the LOG_* variables are not used. Give it its own database.

Exit status with --once: 0 caught up; 1 the registry's log holds a record that does not verify
or is of an unknown kind; 2 usage or configuration; 3 FORK or MAP_ROOT_MISMATCH; 4 registry
unreachable. Without --once it keeps serving after it stops following. ${STOP_SIGNALS_HELP}`,
  options: { registry: REGISTRY_OPTIONS.registry, vkey: REGISTRY_OPTIONS.vkey, ...TILES_OPTION, interval: { type: 'string' }, once: { type: 'boolean' } },
  async run(invocation) {
    const { ui } = invocation;
    const { url, vkey } = registryTarget(invocation);
    const intervalMs = durationOption(invocation.values, 'interval', 10_000);
    const once = invocation.values['once'] === true;
    const tiles = tilesOption(invocation.values);
    const configured = invocation.env.serverConfig({ signsCheckpoints: false, defaults: { DATA_DIR: './mirror-data' } });
    // --once --json: stdout holds the one result object, so the service's log lines stay out of it.
    const config = once && ui.json ? { ...configured, logLevel: 'silent' as const } : configured;
    let bar = ui.progress('copying log entries');
    const { service, follower } = await createMirror({ registryUrl: url, vkey, config, tiles, onProgress: (done, total) => bar.update(done, total) });
    let lastRetry: string | null = null;
    const report = (result: RoundResult) => {
      if (ui.json && once) ui.printJson(result);
      else if (ui.json) ui.printJsonLine(result); // a stream of rounds: one object a line, between the service's own JSON log lines
      const line = bar;
      bar = ui.progress('copying log entries'); // each round's rate is its own
      if (result.status === 'retry') {
        // Once per outage, not once per round.
        if (result.error !== lastRetry) line.finish(`could not follow ${url} (${result.error}); retrying every ${intervalMs / 1000} s`);
        lastRetry = result.error;
        return;
      }
      if (lastRetry !== null) line.finish(`following ${url} again`);
      lastRetry = null;
      if (result.status === 'advanced') {
        line.finish(`${ui.mark(true, 'err')} mirrored entries ${result.from}–${result.size - 1}: now at the registry's checkpoint of ${result.size} entries${mapNote(result.mapRoot)}`);
      } else if (result.status === 'stopped') {
        const why = result.reason === 'fork' ? describeFork(result, url) : result.reason === 'map' ? describeMapMismatch(result, url) : `STOPPED following ${url}: ${result.message}`;
        line.finish(`${ui.mark(false, 'err')} ${why}`);
      }
    };

    if (once) {
      try {
        const result = await follower.round();
        report(result);
        if (result.status === 'current') bar.finish(`${ui.mark(true, 'err')} up to date: ${result.size} entries, verified${mapNote(result.mapRoot)}`);
        if (result.status === 'stopped') return result.reason === 'fork' || result.reason === 'map' ? EXIT.FORK : EXIT.FAILED;
        return result.status === 'retry' ? EXIT.UNREACHABLE : EXIT.OK;
      } finally {
        await service.destroy();
      }
    }

    const served = await service.start();
    service.logger.info({ url: served, registry: url, origin: service.logKey.origin }, `peerkeys mirror of ${url} listening on ${served}`);
    const controller = new AbortController();
    const following = follower.run({ intervalMs, signal: controller.signal, onRound: report });
    onStopSignals(service.logger, async () => {
      controller.abort();
      await following;
      await service.destroy();
    });
    return 'running';
  },
};

function mapNote(status: MapRootStatus): string {
  if (status === 'verified') return ', key map root verified';
  if (status === 'absent') return ' (its checkpoint has no key map root to check: a registry from before the key map)';
  return '';
}
