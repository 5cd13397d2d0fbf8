/**
 * Errors → exit statuses and messages that say what to do. Exit statuses are listed in
 * `peerkeys --help` and are stable for scripts; messages are for people.
 */
import { ConfigError } from '../config.js';
import { EntriesBehind } from '../mirror/registry-feed.js';
import { RegistryError, VerificationError } from '../sdk/errors.js';
import { EXIT, UsageError } from './command.js';

/** A command that could not do its job for a reason it explains (exit 1 unless told otherwise). */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exit: number = EXIT.FAILED,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
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

/** Prints what went wrong and what to do, and returns the exit status. */
export function reportFailure(command: string, error: unknown, write: (text: string) => void = (text) => process.stderr.write(text)): number {
  const say = (text: string) => write(`peerkeys ${command}: ${text}\n`);
  if (error instanceof ConfigError) {
    say(`configuration error\n${error.message}\n(.env.example lists every variable, with its default)`);
    return EXIT.USAGE;
  }
  if (error instanceof UsageError) {
    say(`${error.message}\n(\`peerkeys ${command} --help\` lists the options)`);
    return EXIT.USAGE;
  }
  if (error instanceof CommandFailure) {
    say(error.message);
    return error.exit;
  }
  if (error instanceof VerificationError) {
    if (error.code === 'LOG_FORK') {
      say(
        `LOG FORK: ${error.message}\nThe registry has shown this client two views of its log that cannot both be true. ` +
          'Do not trust its answers; keep the state file (it holds the checkpoint verified before, signed by the registry) and tell its operator.',
      );
      return EXIT.FORK;
    }
    say(`verification failed (${error.code}): ${error.message}\nNothing from that answer was trusted. A registry, or something between it and you, answered wrongly.`);
    return EXIT.FAILED;
  }
  if (error instanceof EntriesBehind) {
    say(`${error.message}; try again later.`);
    return EXIT.UNREACHABLE;
  }
  if (error instanceof RegistryError) {
    if (error.code === 'NETWORK' || error.status >= 500 || error.code === 'RATE_LIMITED') {
      say(`${error.message}\nThe registry is unreachable or busy; try again later.`);
      return EXIT.UNREACHABLE;
    }
    // The SDK asks for this proof when the registry's checkpoint is older than one it verified.
    const hint = error.status === 404 && error.message.includes('/v1/log/proof/consistency')
      ? 'The registry now shows a smaller log than one this client verified before, and cannot prove the two consistent: a replica that lags behind (try again later) or a log that was rolled back. Keep the state file: it holds the signed checkpoint seen before.'
      : HINTS[error.code];
    say(`the registry refused: ${error.message}${hint === undefined ? '' : `\n${hint}`}`);
    return EXIT.FAILED;
  }
  say(`unexpected error: ${(error as Error)?.message ?? String(error)}`);
  return EXIT.FAILED;
}
