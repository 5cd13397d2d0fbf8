/**
 * What every `peerkeys` subcommand is: a name, its help, the options it accepts (node:util
 * parseArgs, strict: an unknown option is a usage error) and what it runs. main.ts reads the
 * environment once and hands each command what it needs as a CliEnvironment.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Config, ReadConfigOptions } from '../config.js';
import type { Ui } from './output.js';

/** Exit statuses, stable for scripts (listed in `peerkeys --help`). */
export const EXIT = {
  OK: 0,
  /** A check failed, or the registry refused the request. */
  FAILED: 1,
  /** Usage or configuration error. */
  USAGE: 2,
  /** The registry's log forked (two signed views of it that cannot both be true), or it signed a false key map root. */
  FORK: 3,
  /** The registry could not be reached or is unavailable (network, 5xx, 429): try again later. */
  UNREACHABLE: 4,
  /** `lookup`: the identity is revoked (and --allow-revoked was not given). */
  REVOKED: 5,
} as const;

/**
 * A mistake in how a command was called or configured: exit 2, with what to do instead. `code`
 * is the stable code `--json` reports (USAGE unless a more precise one helps a script).
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly code = 'USAGE',
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What main.ts read from the environment, for the commands. */
export interface CliEnvironment {
  /** PEERKEYS_REGISTRY */
  registry?: string | undefined;
  /** PEERKEYS_VKEY */
  vkey?: string | undefined;
  /** PEERKEYS_STATE */
  state?: string | undefined;
  /** PEERKEYS_KEYS */
  keys?: string | undefined;
  /** PEERKEYS_WITNESSES: trusted witnesses' vkeys, comma-separated */
  witnesses?: string | undefined;
  /** PEERKEYS_WITNESS_QUORUM */
  witnessQuorum?: string | undefined;
  /** PEERKEYS_WITNESS_WAIT: a duration, as --witness-wait takes */
  witnessWait?: string | undefined;
  /**
   * The CLI's own folder: keys, pinned registries, state. $PEERKEYS_HOME, else
   * $XDG_CONFIG_HOME/peerkeys, else ~/.config/peerkeys.
   */
  configDir: string;
  /** NO_COLOR is set and not empty (no-color.org), or TERM=dumb. */
  noColor: boolean;
  /** The registry's configuration from the environment and ./.env (serve, migrate, verify-log, mirror). */
  serverConfig(options?: ReadConfigOptions & { defaults?: Record<string, string> }): Config;
  /** One variable of that environment as set (./.env included), to tell a setting from a default. */
  serverVariable(name: string): string | undefined;
}

export type OptionValues = { [name: string]: string | boolean | string[] | undefined };

export interface Invocation {
  values: OptionValues;
  positionals: string[];
  env: CliEnvironment;
  /** Where results, progress and marks go; `ui.json` is --json, which every command takes. */
  ui: Ui;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** As typed: `lookup`, `log verify`. */
  name: string;
  help: string;
  options: Options;
  /** How many positional arguments it takes at most (default none). */
  positionals?: number;
  /** Resolves to the exit status, or to 'running' for a command that keeps serving. */
  run(invocation: Invocation): Promise<number | 'running'>;
}

/** A string option's value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A non-negative integer option, or `fallback`. */
export function integerOption(values: OptionValues, name: string, fallback: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--${name} takes a whole number, not "${text}"`);
  return Number(text);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A duration like 10s, 500ms, 2m (a bare number is seconds), in milliseconds; 0 only where
 * `allowZero`, and at most what a number holds exactly. `source` names it in the usage error: the
 * option (`--name`) or the environment variable it came from.
 */
export function parseDuration(text: string, source: string, { allowZero = false } = {}): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match === null ? NaN : Number(match[1]) * DURATION_UNITS[match[2] ?? 's']!;
  if (!Number.isSafeInteger(ms) || (ms === 0 && !allowZero)) throw new UsageError(`${source} takes a duration like 10s, 500ms or 2m, not "${text}"`);
  return ms;
}

/** A duration option (see parseDuration), or `fallbackMs`. */
export function durationOption(values: OptionValues, name: string, fallbackMs: number, options: { allowZero?: boolean } = {}): number {
  const text = stringOption(values, name);
  return text === undefined ? fallbackMs : parseDuration(text, `--${name}`, options);
}

/** The lines of help every command that talks to a registry shares. */
export const REGISTRY_OPTIONS_HELP = `  --registry <url|profile>  the registry: a URL, or a profile saved by \`peerkeys pin\`
                    (default: $PEERKEYS_REGISTRY, else the default profile)
  --vkey <vkey>     the registry's log verifier key, pinned out of band: every checkpoint must be
                    signed by it (default: the profile's, else $PEERKEYS_VKEY, else the one
                    pinned for that URL)
  --state <file>    where this client keeps what it verified about each log (the last checkpoint
                    and heads seen), so a registry cannot later show it an older or forked log
                    unnoticed (default: $PEERKEYS_STATE, else <config>/state.json)`;

/** The witness policy's options (commands whose answers the SDK client verifies). */
export const WITNESS_OPTIONS_HELP = `  --witness <vkey>  a witness this client trusts (its cosigner vkey); repeat for several. Every
                    checkpoint must then be cosigned by --witness-quorum of them, else
                    INSUFFICIENT_COSIGNATURES (default: $PEERKEYS_WITNESSES, comma-separated)
  --witness-quorum <k>  how many of the witnesses must cosign (default: all of them;
                    $PEERKEYS_WITNESS_QUORUM)
  --witness-wait <duration>  how long to keep asking the registry for a checkpoint the quorum
                    cosigned that extends a fresh one, before INSUFFICIENT_COSIGNATURES (default:
                    $PEERKEYS_WITNESS_WAIT, else 5s; 0 asks once)`;

export const KEYS_OPTION_HELP = `  --keys <file>     the identity's keys file, made by \`peerkeys keygen\`
                    (default: $PEERKEYS_KEYS, else <config>/identity.json)`;

/** Every command's --json line. */
export const JSON_OPTION_HELP = `  --json            print one JSON object on stdout, errors included ({ "error": { "code", ... } })`;

export const REGISTRY_OPTIONS = {
  registry: { type: 'string' },
  vkey: { type: 'string' },
  state: { type: 'string' },
} as const satisfies Options;

export const WITNESS_OPTIONS = {
  witness: { type: 'string', multiple: true },
  'witness-quorum': { type: 'string' },
  'witness-wait': { type: 'string' },
} as const satisfies Options;

export const KEYS_OPTION = { keys: { type: 'string' } } as const satisfies Options;
