/** `peerkeys witness`: runs a witness (c2sp.org/tlog-witness) until SIGINT or SIGTERM. */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { readWitnessConfig, WitnessConfigError, WITNESS_VARIABLES } from '../../witness/config.js';
import { WitnessService } from '../../witness/witness-service.js';
import { onStopSignals, STOP_SIGNALS_HELP } from '../stop-signals.js';

export const WITNESS_HELP = `usage: peerkeys witness [--json]

Runs a transparency-log witness (c2sp.org/tlog-witness): it keeps the latest checkpoint of each
log it follows, cosigns (c2sp.org/tlog-cosignature) only a checkpoint signed by that log's key and
consistent with the one it cosigned before, and serves POST /add-checkpoint. Configuration (the
environment, and ./.env if present):
  WITNESS_LOGS              the logs' vkeys (a registry's: vkey in GET /v1/registry), comma-separated
  WITNESS_NAME              its key name, a schema-less URL (default localhost:<port>/witness)
  WITNESS_SIGNING_KEY       its Ed25519 seed (unpadded base64url; \`peerkeys keygen --seed\`),
  WITNESS_SIGNING_KEY_FILE  or a file holding it (default: generated in WITNESS_DATA_DIR)
  WITNESS_DATA_DIR          its embedded database and key (default ./witness-data)
  WITNESS_DATABASE_URL      Postgres instead (WITNESS_DATABASE_SCHEMA: a schema in it)
  WITNESS_HOST, WITNESS_PORT  where it listens (default 127.0.0.1:7380)
On start it logs its vkey: give it to the registry (WITNESSES) and to clients (--witness).
${STOP_SIGNALS_HELP}`;

export const witness: Command = {
  name: 'witness',
  help: WITNESS_HELP,
  options: {},
  run: async ({ env }) => {
    let config;
    try {
      config = readWitnessConfig(Object.fromEntries(WITNESS_VARIABLES.map((name) => [name, env.serverVariable(name)])));
    } catch (error) {
      if (error instanceof WitnessConfigError) throw new UsageError(error.message, 'CONFIG');
      throw error;
    }
    const service = await WitnessService.create(config);
    const url = await service.start();
    service.logger.info({ url, name: config.name, vkey: service.vkey, logs: [...config.logs.keys()] }, `peerkeys witness listening on ${url}`);
    onStopSignals(service.logger, () => service.destroy());
    return 'running';
  },
};
