/**
 * The witness's configuration (`peerkeys witness`), read once from its own WITNESS_* variables:
 * its name and key, where it keeps its state, and the logs it follows (README, "Witnesses").
 */
import * as z from 'zod';
import { optionalText, signingKeySource, type Config } from '../config.js';
import type { DatabaseConfig } from '../db/database.js';
import { isValidKeyName, parseVerifierKey, type NoteKey } from '../protocol/checkpoint.js';

export interface WitnessConfig {
  host: string;
  port: number;
  /** The cosigner's key name (c2sp.org/tlog-cosignature: a schema-less URL). */
  name: string;
  signingKey: Config['log']['signingKey'];
  database: DatabaseConfig;
  /** The logs it cosigns: origin → the log's key. A log's key name is its origin. */
  logs: Map<string, NoteKey>;
  /** Upper bound of a request body, in bytes. */
  bodyLimitBytes: number;
  logLevel: Config['logLevel'];
}

/** Every variable the witness reads. */
export const witnessEnvironmentSchema = z.object({
  WITNESS_HOST: z.string().default('127.0.0.1'),
  WITNESS_PORT: z.coerce.number().int().min(0).max(65535).default(7380),
  WITNESS_NAME: optionalText,
  WITNESS_SIGNING_KEY: optionalText,
  WITNESS_SIGNING_KEY_FILE: optionalText,
  WITNESS_DATA_DIR: z.string().default('./witness-data'),
  WITNESS_DATABASE_URL: optionalText,
  WITNESS_DATABASE_SCHEMA: optionalText,
  /** The followed logs' vkeys, separated by commas or whitespace. */
  WITNESS_LOGS: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const WITNESS_VARIABLES = Object.keys(witnessEnvironmentSchema.shape);

export class WitnessConfigError extends Error {
  override name = 'WitnessConfigError';
}

export function readWitnessConfig(env: Record<string, string | undefined>): WitnessConfig {
  const parsed = witnessEnvironmentSchema.safeParse(env);
  if (!parsed.success) throw new WitnessConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  const e = parsed.data;
  const name = e.WITNESS_NAME ?? `localhost:${e.WITNESS_PORT}/witness`;
  if (!isValidKeyName(name)) throw new WitnessConfigError(`WITNESS_NAME "${name}" must be non-empty with no spaces or '+'`);

  const logs = new Map<string, NoteKey>();
  for (const vkey of (e.WITNESS_LOGS ?? '').split(/[\s,]+/).filter((v) => v !== '')) {
    const key = parseVerifierKey(vkey);
    if (key === null) throw new WitnessConfigError(`WITNESS_LOGS: "${vkey}" is not a log's Ed25519 verifier key (<origin>+<id>+<base64>)`);
    if (logs.has(key.name)) throw new WitnessConfigError(`WITNESS_LOGS names the origin "${key.name}" twice`);
    logs.set(key.name, key);
  }
  if (logs.size === 0) throw new WitnessConfigError('WITNESS_LOGS must list the vkey of at least one log to witness');

  const database: DatabaseConfig =
    e.WITNESS_DATABASE_URL !== undefined
      ? { kind: 'postgres', url: e.WITNESS_DATABASE_URL, schema: e.WITNESS_DATABASE_SCHEMA, poolSize: 4 }
      : { kind: 'embedded', dataDir: e.WITNESS_DATA_DIR };

  const source = signingKeySource(e.WITNESS_SIGNING_KEY, e.WITNESS_SIGNING_KEY_FILE, database.kind === 'embedded' ? `${e.WITNESS_DATA_DIR}/witness-signing-key` : undefined);
  if (source === 'invalid') throw new WitnessConfigError('WITNESS_SIGNING_KEY must be a 32-byte Ed25519 seed in unpadded base64url');
  if (source === null) throw new WitnessConfigError('with WITNESS_DATABASE_URL set, the key must come from WITNESS_SIGNING_KEY or WITNESS_SIGNING_KEY_FILE');
  const signingKey: WitnessConfig['signingKey'] = source;

  return { host: e.WITNESS_HOST, port: e.WITNESS_PORT, name, signingKey, database, logs, bodyLimitBytes: 128 * 1024, logLevel: e.LOG_LEVEL };
}
