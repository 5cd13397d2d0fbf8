/**
 * What every `peerkeys` subcommand is: a name, its help, the options it accepts (node:util
 * parseArgs, strict: an unknown option is a usage error) and what it runs. main.ts reads the
 * environment once and hands each command what it needs as a CliEnvironment.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Config, ReadConfigOptions } from '../config.js';

/** Exit statuses, stable for scripts (listed in `peerkeys --help`). */
export const EXIT = {
  OK: 0,
  /** A check failed, or the registry refused the request. */
  FAILED: 1,
  /** Usage or configuration error. */
  USAGE: 2,
  /** The registry's log forked: two signed views of it that cannot both be true. */
  FORK: 3,
  /** The registry could not be reached or is unavailable (network, 5xx, 429): try again later. */
  UNREACHABLE: 4,
} as const;

/** A mistake in how a command was called or configured: exit 2, with what to do instead. */
export class UsageError extends Error {
  override name = 'UsageError';
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
  /** Where defaults live: $XDG_CONFIG_HOME/peerkeys, else ~/.config/peerkeys. */
  configDir: string;
  /** The registry's configuration from the environment and ./.env (serve, migrate, verify-log, mirror). */
  serverConfig(options?: ReadConfigOptions & { defaults?: Record<string, string> }): Config;
}

export type OptionValues = { [name: string]: string | boolean | string[] | undefined };

export interface Invocation {
  values: OptionValues;
  positionals: string[];
  env: CliEnvironment;
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

/** A duration option like 10s, 500ms, 2m (a bare number is seconds), in milliseconds. */
export function durationOption(values: OptionValues, name: string, fallbackMs: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallbackMs;
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null || Number(match[1]) === 0) throw new UsageError(`--${name} takes a duration like 10s, 500ms or 2m, not "${text}"`);
  return Number(match[1]) * DURATION_UNITS[match[2] ?? 's']!;
}

/** The lines of help every command that talks to a registry shares. */
export const REGISTRY_OPTIONS_HELP = `  --registry <url>  the registry's URL (default: $PEERKEYS_REGISTRY)
  --vkey <vkey>     the registry's log verifier key, pinned out of band: every checkpoint must be
                    signed by it (default: $PEERKEYS_VKEY)
  --state <file>    where this client keeps what it verified (the last checkpoint and heads seen),
                    so a registry cannot later show it an older or forked log unnoticed
                    (default: $PEERKEYS_STATE, else ~/.config/peerkeys/state.json)`;

export const KEYS_OPTION_HELP = `  --keys <file>     the identity's keys file, made by \`peerkeys keygen\`
                    (default: $PEERKEYS_KEYS, else ~/.config/peerkeys/identity.json)`;

export const REGISTRY_OPTIONS = {
  registry: { type: 'string' },
  vkey: { type: 'string' },
  state: { type: 'string' },
} as const satisfies Options;

export const KEYS_OPTION = { keys: { type: 'string' } } as const satisfies Options;
