/**
 * The `peerkeys` command-line tool's dispatcher. The environment (and, for the commands that run
 * or open a registry, ./.env) is read here, once, and handed to the command as a CliEnvironment:
 * nothing else in the CLI reads process.env.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../config.js';
import { EXIT, type CliEnvironment, type Command } from './command.js';
import { reportFailure } from './failure.js';

/**
 * Commands are loaded when run: the server's modules (Prisma, PGlite, Express) take seconds to
 * load, which a `peerkeys lookup` should not wait for.
 */
interface CommandEntry {
  name: string;
  /** One line for `peerkeys --help`. */
  summary: string;
  load(): Promise<Command>;
}

const SECTIONS: Array<[string, CommandEntry[]]> = [
  [
    'Run a registry, or a mirror of one:',
    [
      { name: 'serve', summary: 'run the registry', load: async () => (await import('./commands/serve.js')).serve },
      { name: 'migrate', summary: 'apply database migrations', load: async () => (await import('./commands/migrate.js')).migrateDatabase },
      { name: 'verify-log', summary: "audit the registry's log in its own database", load: async () => (await import('./commands/verify-log.js')).verifyLog },
      { name: 'mirror', summary: 'follow a registry: keep a verified copy of its log and serve it read-only', load: async () => (await import('./commands/mirror.js')).mirror },
    ],
  ],
  [
    'Your identity (its keys live in a keys file only you can read):',
    [
      { name: 'keygen', summary: "make a new identity's keys (--seed: a log signing key for a registry)", load: async () => (await import('./commands/keygen.js')).keygen },
      { name: 'register', summary: 'publish a new identity (its genesis record)', load: async () => (await import('./commands/register.js')).register },
      { name: 'rotate', summary: 'replace the signing key (--new-rotation-keys: the rotation keys too)', load: async () => (await import('./commands/rotate.js')).rotate },
      { name: 'revoke', summary: 'end the identity (a revocation record)', load: async () => (await import('./commands/revoke.js')).revoke },
      { name: 'recover', summary: 'overrule records made with a stolen key (within 72 hours)', load: async () => (await import('./commands/recover.js')).recover },
      { name: 'device', summary: 'publish a device record (its addresses)', load: async () => (await import('./commands/device.js')).device },
    ],
  ],
  [
    'Look up and audit (everything verified against the pinned registry key):',
    [
      { name: 'lookup', summary: "a user's verified keys, fingerprints and devices", load: async () => (await import('./commands/lookup.js')).lookup },
      { name: 'log checkpoint', summary: "the registry's latest checkpoint, verified", load: async () => (await import('./commands/log-checkpoint.js')).logCheckpoint },
      { name: 'log entries', summary: 'log entries as the registry serves them', load: async () => (await import('./commands/log-entries.js')).logEntries },
      { name: 'log verify', summary: "re-verify the registry's whole log from its public API", load: async () => (await import('./commands/log-verify.js')).logVerify },
    ],
  ],
];

const COMMANDS = SECTIONS.flatMap(([, commands]) => commands);

const EXIT_STATUS_HELP = `Exit status:
  0  success
  1  a check failed (a signature, proof, chain or record does not verify), or the registry
     refused the request; the message says what to do
  2  usage or configuration error
  3  the registry's log forked: it showed two views of its log that cannot both be true (keep
     the state file and any printed checkpoints: they are signed evidence)
  4  the registry could not be reached or is unavailable; try again later`;

const HELP = `usage: peerkeys <command> [options]

${SECTIONS.map(([title, commands]) => `${title}\n${commands.map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join('\n')}`).join('\n\n')}

Commands that talk to a registry take --registry <url> and --vkey <vkey> (the registry's log
verifier key, pinned out of band), or PEERKEYS_REGISTRY and PEERKEYS_VKEY. What they verified is
kept in a state file (--state, PEERKEYS_STATE, default ~/.config/peerkeys/state.json), so that a
registry cannot later show them an older or forked log unnoticed. Identity commands read the keys
file made by \`peerkeys keygen\` (--keys, PEERKEYS_KEYS, default ~/.config/peerkeys/identity.json).
No command prints a secret key, except \`keygen --seed\`, which exists to print one.

${EXIT_STATUS_HELP}

Run \`peerkeys <command> --help\` for a command's options.`;

const LOG_HELP = `usage: peerkeys log <subcommand> [options]

${COMMANDS.filter((c) => c.name.startsWith('log ')).map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join('\n')}

Run \`peerkeys log <subcommand> --help\` for its options.`;

function environment(): CliEnvironment {
  const env = process.env;
  const nonEmpty = (name: string) => (env[name] === '' ? undefined : env[name]);
  return {
    registry: nonEmpty('PEERKEYS_REGISTRY'),
    vkey: nonEmpty('PEERKEYS_VKEY'),
    state: nonEmpty('PEERKEYS_STATE'),
    keys: nonEmpty('PEERKEYS_KEYS'),
    configDir: join(nonEmpty('XDG_CONFIG_HOME') ?? join(homedir(), '.config'), 'peerkeys'),
    serverConfig({ defaults = {}, ...options } = {}) {
      if (existsSync('.env')) process.loadEnvFile('.env');
      return readConfig({ ...defaults, ...process.env }, options);
    },
  };
}

/** Runs `peerkeys <argv>`; when a one-shot command ends, exits with its status. */
export async function main(argv: string[]): Promise<void> {
  const code = await run(argv, environment());
  if (code !== 'running') process.exit(code);
}

export async function run(argv: string[], env: CliEnvironment): Promise<number | 'running'> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(`${HELP}\n`);
    return EXIT.USAGE;
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    process.stdout.write(`${HELP}\n`);
    return EXIT.OK;
  }
  let name = first;
  let args = rest;
  if (first === 'log') {
    const [sub, ...more] = rest;
    if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
      (sub === undefined ? process.stderr : process.stdout).write(`${LOG_HELP}\n`);
      return sub === undefined ? EXIT.USAGE : EXIT.OK;
    }
    name = `log ${sub}`;
    args = more;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    process.stderr.write(`peerkeys: unknown command "${name}"\n\n${first === 'log' ? LOG_HELP : HELP}\n`);
    return EXIT.USAGE;
  }
  const command = await entry.load();

  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`peerkeys ${name}: ${(error as Error).message}\n\n${command.help}\n`);
    return EXIT.USAGE;
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(`${command.help}\n`);
    return EXIT.OK;
  }
  if (parsed.positionals.length > (command.positionals ?? 0)) {
    process.stderr.write(`peerkeys ${name}: unexpected argument "${parsed.positionals[command.positionals ?? 0]}"\n\n${command.help}\n`);
    return EXIT.USAGE;
  }
  try {
    return await command.run({ values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals, env });
  } catch (error) {
    return reportFailure(name, error);
  }
}
