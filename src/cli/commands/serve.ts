/** `peerkeys serve` (and `npm start`): runs the registry until SIGINT or SIGTERM. */
import type { Config } from '../../config.js';
import type { Command } from '../command.js';
import { onStopSignals, STOP_SIGNALS_HELP } from '../stop-signals.js';
import { RegistryService } from '../../service.js';

export const SERVE_HELP = `usage: peerkeys serve [--json]

Starts the registry with the configuration from the environment (and ./.env if present): on
Postgres when DATABASE_URL is set, otherwise on an embedded database in DATA_DIR (./data).
See .env.example for every variable. ${STOP_SIGNALS_HELP} Its log is JSON lines
on stdout; with --json, a configuration error is a JSON object too.`;

export async function serveCommand(config: Config): Promise<void> {
  const service = await RegistryService.create(config);
  const url = await service.start();
  const where = config.database.kind === 'embedded' ? `embedded database in ${config.dataDir}` : 'Postgres';
  service.logger.info({ url, origin: config.log.origin, vkey: service.logKey.vkey }, `peerkeys registry listening on ${url} (${where})`);

  onStopSignals(service.logger, () => service.destroy());
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
