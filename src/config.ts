/**
 * Configuration in two steps (the atproto way): the environment is read and validated once, then
 * turned into one typed, nested Config. Nothing else reads process.env; tests build a Config
 * directly or through `readConfig` with a plain object.
 */
import * as z from 'zod';
import { fromBase64Url } from './protocol/encoding.js';
import { isValidKeyName } from './protocol/checkpoint.js';
import { parseCosignerKey, type CosignerKey } from './protocol/cosignature.js';
import type { DatabaseConfig } from './db/database.js';
import { ID_POLICIES, type IdPolicy } from './server/admission-policy.js';

/** A rate budget: at most `limit` requests per `windowMs`. */
export interface Budget {
  limit: number;
  windowMs: number;
}

export interface Config {
  http: {
    host: string;
    port: number;
    /** The URL clients use, e.g. https://keys.example.org (for links, the log origin and HSTS). */
    publicUrl: string;
    /** Reverse proxies in front of the registry whose X-Forwarded-For is believed (a hop count). */
    trustProxy: number;
    tls: { certFile: string; keyFile: string } | null;
  };
  database: DatabaseConfig;
  dataDir: string;
  log: {
    /** The checkpoint origin and signing key name (DESIGN.md §5). */
    origin: string;
    /** `none`: a process that signs no checkpoint (a mirror, see readConfig's `signsCheckpoints`). */
    signingKey: SigningKeySource | { kind: 'none' };
    /** The most time between two checkpoints, writes or not (DESIGN.md §5): clients bound staleness by it. */
    checkpointIntervalMs: number;
  };
  rateLimits: {
    enabled: boolean;
    ipReads: Budget[];
    ipWrites: Budget[];
    /** Identity-chain writes per userId (did:plc's spirit: 10 an hour, 30 a day). */
    userWrites: Budget[];
    /** Device-record writes per userId. */
    deviceWrites: Budget[];
    /** Group-record writes per groupId. */
    groupWrites: Budget[];
    redisUrl: string | null;
  };
  /** Which new user and group ids are admitted (DESIGN.md §1): self-certifying only, or any Peers id. */
  ids: { users: IdPolicy; groups: IdPolicy };
  /** Bounds on what a process holds and sends (DESIGN.md §6, "Pages"; §9). */
  limits: {
    /** The most bytes of items one page of a list carries (its first item excepted). */
    pageBytes: number;
    /** The in-process cache of lookup pages, in bytes (identities and groups share it). */
    lookupCacheBytes: number;
    /** The in-process cache of Merkle subtree hashes, in bytes. */
    subtreeCacheBytes: number;
    /** The in-process cache of the log's entry bundles (tlog-tiles), in bytes. */
    tileCacheBytes: number;
  };
  /** Witnesses the registry asks to cosign its checkpoints (DESIGN.md §5.4); none: as before. */
  witnesses: {
    endpoints: Array<{ url: string; key: CosignerKey }>;
    /** Bound on one add-checkpoint request. */
    timeoutMs: number;
    /** The interval between two requests to one witness (each sends the newest checkpoint then). */
    pollMs: number;
    /** The longest interval after failures (it doubles per failure). */
    maxBackoffMs: number;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/**
 * Parses WITNESSES: comma-separated entries, each `<submission URL> <cosigner vkey>`, e.g.
 * `https://witness.example.org/peerkeys witness.example.org+1234abcd+BASE64`.
 */
export function parseWitnesses(text: string): Config['witnesses']['endpoints'] {
  const endpoints = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [url, vkey, ...rest] = entry.split(/\s+/);
      const key = vkey === undefined ? null : parseCosignerKey(vkey);
      if (url === undefined || !/^https?:\/\/[^\s]+$/.test(url) || !URL.canParse(url) || key === null || rest.length > 0) {
        throw new Error(`"${entry}" is not "<http(s) URL> <witness vkey (type 0x04)>"`);
      }
      return { url: url.replace(/\/+$/, ''), key };
    });
  if (new Set(endpoints.map((e) => e.key.name)).size !== endpoints.length) throw new Error('two witnesses with the same name');
  return endpoints;
}

/** A variable read by `parse`, whose errors become the variable's validation issues. */
function parsedBy<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}

const witnesses = parsedBy(parseWitnesses);

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses budgets like "10/1h,30/1d" (units ms, s, m, h, d). */
export function parseBudgets(text: string): Budget[] {
  return text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(part);
    if (match === null) throw new Error(`"${part}" is not a budget like 10/1h`);
    const limit = Number(match[1]);
    const windowMs = Number(match[2]) * UNITS[match[3]!]!;
    if (limit < 1 || windowMs < 1) throw new Error(`"${part}": limit and window must be positive`);
    return { limit, windowMs };
  });
}

const budgets = parsedBy(parseBudgets);

/** A size in bytes: a plain positive integer, at most 2^40. */
const bytes = z.coerce.number().int().min(1).max(2 ** 40);

/** An optional text variable: unset, empty or blank is undefined; otherwise trimmed. */
export const optionalText = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text.trim() === '' ? undefined : text.trim()));

/** Every variable the registry reads; `.env.example` lists exactly these (a test checks). */
export const environmentSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  TLS_CERT_FILE: optionalText,
  TLS_KEY_FILE: optionalText,
  DATABASE_URL: optionalText,
  DATABASE_SCHEMA: optionalText,
  DATABASE_READ_URL: optionalText,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().default('./data'),
  LOG_ORIGIN: optionalText,
  LOG_SIGNING_KEY: optionalText,
  LOG_SIGNING_KEY_FILE: optionalText,
  // At most 300: clients refuse a checkpoint older than 600 s by default (DESIGN.md §6,
  // "Freshness"), so an answer must come with one signed well inside that, delays included.
  CHECKPOINT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(300).default(60),
  REDIS_URL: optionalText,
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  RATE_LIMIT_IP_READS: budgets.default(parseBudgets('1200/1m')),
  RATE_LIMIT_IP_WRITES: budgets.default(parseBudgets('120/1m')),
  RATE_LIMIT_USER_WRITES: budgets.default(parseBudgets('10/1h,30/1d')),
  RATE_LIMIT_DEVICE_WRITES: budgets.default(parseBudgets('60/1h')),
  RATE_LIMIT_GROUP_WRITES: budgets.default(parseBudgets('60/1h,300/1d')),
  USER_IDS: z.enum(ID_POLICIES).default('self-certifying'),
  GROUP_IDS: z.enum(ID_POLICIES).default('self-certifying'),
  PAGE_MAX_BYTES: bytes.default(256 * 1024),
  LOOKUP_CACHE_BYTES: bytes.default(256 * 1024 * 1024),
  SUBTREE_CACHE_BYTES: bytes.default(128 * 1024 * 1024),
  TILE_CACHE_BYTES: bytes.default(32 * 1024 * 1024),
  WITNESSES: witnesses.default([]),
  WITNESSES_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  WITNESSES_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(250),
  WITNESSES_MAX_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const CONFIG_VARIABLES = Object.keys(environmentSchema.shape);

export type SigningKeySource = { kind: 'seed'; seed: Uint8Array } | { kind: 'file'; path: string } | { kind: 'generated'; path: string };

/**
 * Where a signing key comes from, as the registry's and a witness's settings say it: a seed
 * (32 bytes, unpadded base64url) given in the environment, else a key file, else — where the
 * caller allows it, beside an embedded database — a key generated once at `generatedPath`.
 * `invalid` for a malformed seed, null when none applies (each caller says why in its own words).
 */
export function signingKeySource(seedText: string | undefined, file: string | undefined, generatedPath: string | undefined): SigningKeySource | 'invalid' | null {
  if (seedText !== undefined) {
    const seed = fromBase64Url(seedText, 32);
    return seed === null ? 'invalid' : { kind: 'seed', seed };
  }
  if (file !== undefined) return { kind: 'file', path: file };
  return generatedPath === undefined ? null : { kind: 'generated', path: generatedPath };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ReadConfigOptions {
  /**
   * False for a process that never signs a checkpoint (`peerkeys mirror` serves the checkpoints
   * another registry signed): it needs no log signing key, and none is generated for it.
   */
  signsCheckpoints?: boolean;
}

/** Validates the environment and builds the Config, or throws a ConfigError naming every problem. */
export function readConfig(env: Record<string, string | undefined>, options: ReadConfigOptions = {}): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  const e = parsed.data;
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE go together: set both to serve HTTPS, or neither');
  }
  const tls = e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null;
  const publicUrl = (e.PUBLIC_URL ?? `${tls ? 'https' : 'http'}://localhost:${e.PORT}`).replace(/\/+$/, '');
  const origin = e.LOG_ORIGIN ?? `${new URL(publicUrl).host}/peerkeys`;
  if (!isValidKeyName(origin)) throw new ConfigError(`LOG_ORIGIN "${origin}" must be non-empty with no spaces or '+'`);

  // A replica of what? The embedded database is one process's own: there is nothing to replicate.
  if (e.DATABASE_READ_URL !== undefined && e.DATABASE_URL === undefined) {
    throw new ConfigError('DATABASE_READ_URL (a streaming replica of DATABASE_URL) needs DATABASE_URL: the embedded database has no replicas');
  }
  const database: DatabaseConfig =
    e.DATABASE_URL !== undefined
      ? { kind: 'postgres', url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolSize: e.DATABASE_POOL_SIZE, readUrl: e.DATABASE_READ_URL }
      : { kind: 'embedded', dataDir: e.DATA_DIR };

  const source = signingKeySource(e.LOG_SIGNING_KEY, e.LOG_SIGNING_KEY_FILE, database.kind === 'embedded' && options.signsCheckpoints !== false ? `${e.DATA_DIR}/log-signing-key` : undefined);
  if (source === 'invalid') throw new ConfigError('LOG_SIGNING_KEY must be a 32-byte Ed25519 seed in unpadded base64url');
  let signingKey: Config['log']['signingKey'];
  if (source !== null) {
    signingKey = source;
  } else if (options.signsCheckpoints === false) {
    signingKey = { kind: 'none' };
  } else {
    throw new ConfigError(
      'with DATABASE_URL set, the log signing key must come from LOG_SIGNING_KEY or LOG_SIGNING_KEY_FILE ' +
        '(every registry process must share it; generate one with `npx peerkeys keygen --seed`)',
    );
  }

  return {
    http: { host: e.HOST, port: e.PORT, publicUrl, trustProxy: e.TRUST_PROXY, tls },
    database,
    dataDir: e.DATA_DIR,
    log: { origin, signingKey, checkpointIntervalMs: e.CHECKPOINT_INTERVAL_SECONDS * 1000 },
    rateLimits: {
      enabled: e.RATE_LIMITS === 'on',
      ipReads: e.RATE_LIMIT_IP_READS,
      ipWrites: e.RATE_LIMIT_IP_WRITES,
      userWrites: e.RATE_LIMIT_USER_WRITES,
      deviceWrites: e.RATE_LIMIT_DEVICE_WRITES,
      groupWrites: e.RATE_LIMIT_GROUP_WRITES,
      redisUrl: e.REDIS_URL ?? null,
    },
    ids: { users: e.USER_IDS, groups: e.GROUP_IDS },
    limits: { pageBytes: e.PAGE_MAX_BYTES, lookupCacheBytes: e.LOOKUP_CACHE_BYTES, subtreeCacheBytes: e.SUBTREE_CACHE_BYTES, tileCacheBytes: e.TILE_CACHE_BYTES },
    witnesses: { endpoints: e.WITNESSES, timeoutMs: e.WITNESSES_TIMEOUT_MS, pollMs: e.WITNESSES_POLL_MS, maxBackoffMs: e.WITNESSES_MAX_BACKOFF_MS },
    logLevel: e.LOG_LEVEL,
  };
}
