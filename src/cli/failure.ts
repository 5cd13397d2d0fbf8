/**
 * Errors → exit statuses, stable codes and messages that say what to do. Exit statuses are listed
 * in `peerkeys --help` and are stable for scripts; so are the codes `--json` prints in
 * `{ "error": { "code", "message", "hint"?, ... }, "exit" }`; messages are for people.
 */
import { ConfigError } from '../config.js';
import { EntriesBehind } from '../mirror/registry-feed.js';
import { ReceiptNotVerifiedError, RegistryError, VerificationError } from '../sdk/errors.js';
import { EXIT, UsageError } from './command.js';
import { describeNetworkFailure } from './network-failure.js';
import { paint } from './output.js';

/** A command that could not do its job for a reason it explains (exit 1 unless told otherwise). */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exit: number = EXIT.FAILED,
    readonly code = 'FAILED',
    readonly details: Record<string, unknown> = {},
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** What went wrong, ready to print. */
export interface Failure {
  exit: number;
  code: string;
  message: string;
  hint?: string | undefined;
  details?: Record<string, unknown>;
}

/** What to do about a registry's refusal, by its stable code. */
const HINTS: Record<string, string> = {
  NOT_FOUND: 'the registry has no such identity: check the userId, or `peerkeys register` it first',
  ALREADY_EXISTS: 'this userId is registered already: `peerkeys lookup` shows it',
  PREV_MISMATCH: 'the identity changed since it was read: run `peerkeys lookup --history` and check every record is yours (if one is not, see `peerkeys recover --help`)',
  REVOKED: 'the identity is revoked; only a recovery (`peerkeys recover`) can follow a revocation',
  CLOCK_SKEW: "this machine's clock is more than 5 minutes off the registry's: fix it and try again",
  UNAUTHORIZED_SIGNER: "the signing key is not one the identity's current head authorises: `peerkeys lookup` shows its keys",
  LATE_RECOVERY: 'the 72-hour recovery window after the record to undo has closed',
  TIME_ORDER: "this machine's clock is behind the identity's last record: fix the clock and try again",
  STALE_DEVICE: 'a newer record for this device is already published',
};

const FORK_HINT =
  'The registry has shown this client two views of its log that cannot both be true. Do not trust its answers; ' +
  'keep the state file (it holds the checkpoint verified before, signed by the registry) and tell its operator.';

/** The failure an error stands for. */
export function describeFailure(command: string, error: unknown): Failure {
  if (error instanceof ConfigError) {
    return { exit: EXIT.USAGE, code: 'CONFIG_ERROR', message: `configuration error\n${error.message}`, hint: '.env.example lists every variable, with its default' };
  }
  if (error instanceof UsageError) {
    return { exit: EXIT.USAGE, code: error.code, message: error.message, hint: `\`peerkeys help ${command}\` lists the options`, details: error.details };
  }
  if (error instanceof CommandFailure) {
    return { exit: error.exit, code: error.code, message: error.message, hint: error.hint, details: error.details };
  }
  if (error instanceof ReceiptNotVerifiedError) {
    const inner = describeFailure(command, error.failure);
    return {
      exit: inner.exit,
      code: 'RECEIPT_NOT_VERIFIED',
      message: `accepted${error.index === null ? '' : ` at index ${error.index}`}, receipt not verified: ${inner.message}`,
      hint: inner.hint,
      details: { index: error.index, check: inner.code, ...inner.details },
    };
  }
  if (error instanceof VerificationError) {
    if (error.code === 'LOG_FORK') return { exit: EXIT.FORK, code: 'LOG_FORK', message: `LOG FORK: ${error.message}`, hint: FORK_HINT };
    return {
      exit: EXIT.FAILED,
      code: error.code,
      message: `verification failed (${error.code}): ${error.message}`,
      hint: 'Nothing from that answer was trusted. A registry, or something between it and you, answered wrongly.',
    };
  }
  if (error instanceof EntriesBehind) {
    return { exit: EXIT.UNREACHABLE, code: 'ENTRIES_BEHIND', message: error.message, hint: 'Try again later.' };
  }
  if (error instanceof RegistryError) {
    if (error.code === 'NETWORK') {
      const url = /could not reach (\S+): /.exec(error.message)?.[1] ?? '';
      const network = describeNetworkFailure(url, error.cause ?? error);
      return { exit: EXIT.UNREACHABLE, code: network.code, message: network.message, hint: 'Nothing was sent or changed; try again once it answers.', details: { cause: network.cause } };
    }
    if (error.status >= 500 || error.code === 'RATE_LIMITED') {
      return { exit: EXIT.UNREACHABLE, code: error.code, message: error.message, hint: 'The registry is unavailable or busy; try again later.', details: { status: error.status } };
    }
    return { exit: EXIT.FAILED, code: error.code, message: `the registry refused: ${error.message}`, hint: HINTS[error.code], details: { status: error.status } };
  }
  return { exit: EXIT.FAILED, code: 'UNEXPECTED', message: `unexpected error: ${(error as Error)?.message ?? String(error)}` };
}

/** `✖ peerkeys <command>: message` and the hint, for stderr. */
export function formatFailure(command: string, failure: Failure, colour: boolean): string {
  const head = `${paint('✖', 'red', colour)} peerkeys${command === '' ? '' : ` ${command}`}: ${failure.message}`;
  return `${head}${failure.hint === undefined ? '' : `\n${failure.hint}`}\n`;
}

/** The one JSON object a failed --json run prints. */
export function failureJson(failure: Failure): unknown {
  return {
    error: { code: failure.code, message: failure.message, ...(failure.hint !== undefined ? { hint: failure.hint } : {}), ...failure.details },
    exit: failure.exit,
  };
}
