/** `peerkeys serve` (and `npm start`): runs the registry until SIGINT or SIGTERM. */
import type { Config } from '../../config.js';
import type { Command } from '../command.js';
import { stopAction } from '../stop-signals.js';
import { RegistryService } from '../../service.js';

export const SERVE_HELP = `usage: peerkeys serve [--json]

Starts the registry with the configuration from the environment (and ./.env if present): on
Postgres when DATABASE_URL is set, otherwise on an embedded database in DATA_DIR (./data).
See .env.example for every variable. Stops gracefully on SIGINT/SIGTERM; another one, a second or
more later, stops it at once. Its log is JSON lines on stdout; with --json, a configuration error
is a JSON object too.`;

export async function serveCommand(config: Config): Promise<void> {
  const service = await RegistryService.create(config);
  const url = await service.start();
  const where = config.database.kind === 'embedded' ? `embedded database in ${config.dataDir}` : 'Postgres';
  service.logger.info({ url, origin: config.log.origin, vkey: service.logKey.vkey }, `peerkeys registry listening on ${url} (${where})`);

  let firstStopAt: number | null = null;
  const stop = (signal: NodeJS.Signals | 'disconnect') => {
    firstStopAt = performance.now();
    service.logger.info({ signal }, 'shutting down: finishing in-flight requests');
    service.destroy().then(
      () => process.exit(0),
      (error: unknown) => {
        service.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const action = stopAction(firstStopAt, performance.now());
      if (action === 'force') process.exit(1);
      if (action === 'same-request') return;
      stop(signal);
    });
  }
  // Started by `npm start`'s launcher (src/start.ts), which gives it an IPC channel: the channel's
  // end means the launcher is gone, even by SIGKILL, and the server stops as on SIGTERM (but never
  // forced). Started any other way there is no channel, and nothing changes.
  if (process.channel !== undefined) {
    process.channel.unref();
    process.once('disconnect', () => {
      if (firstStopAt === null) stop('disconnect');
    });
  }
}

export const serve: Command = {
  name: 'serve',
  help: SERVE_HELP,
  options: {},
  run: async ({ env }) => {
    await serveCommand(env.serverConfig());
    return 'running';
  },
};
