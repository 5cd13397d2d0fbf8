/**
 * The `peerkeys` command-line tool's dispatcher. The environment (and, for the commands that run
 * or open a registry, ./.env) is read here, once, and handed to the command as a CliEnvironment:
 * nothing else in the CLI reads process.env.
 *
 * Every command takes --json (one JSON object on stdout, errors included, the same exit statuses)
 * and --help; `peerkeys help <command>` and `peerkeys --version` work too. An unknown command or
 * flag is a usage error (exit 2) that names it and suggests the closest one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../config.js';
import { EXIT, UsageError, type CliEnvironment, type Command, type Options } from './command.js';
import { closest } from './did-you-mean.js';
import { describeFailure, failureJson, formatFailure } from './failure.js';
import { Ui } from './output.js';
import { diagnosePinnedLog } from './pinned-log-diagnosis.js';

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
    'Run a registry, a mirror of one, or a witness:',
    [
      { name: 'serve', summary: 'run the registry', load: async () => (await import('./commands/serve.js')).serve },
      { name: 'migrate', summary: 'apply database migrations', load: async () => (await import('./commands/migrate.js')).migrateDatabase },
      { name: 'verify-log', summary: "audit the registry's log in its own database (= log verify --database)", load: async () => (await import('./commands/verify-log.js')).verifyLog },
      { name: 'mirror', summary: 'follow a registry: keep a verified copy of its log and serve it read-only', load: async () => (await import('./commands/mirror.js')).mirror },
      { name: 'witness', summary: "run a witness: cosign a registry's checkpoints that extend what it saw (c2sp.org/tlog-witness)", load: async () => (await import('./commands/witness.js')).witness },
    ],
  ],
  [
    'Pin registries, and what this client verified about them:',
    [
      { name: 'pin', summary: "fetch a registry's key, show its fingerprint to compare, and pin it (a profile)", load: async () => (await import('./commands/pin.js')).pin },
      { name: 'state show', summary: 'the logs this client keeps state for: origin, key, checkpoint size', load: async () => (await import('./commands/state.js')).stateShow },
      { name: 'state forget', summary: 'forget a log that was reset (keeps a copy of what it forgets)', load: async () => (await import('./commands/state.js')).stateForget },
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
      { name: 'log verify', summary: "re-verify the registry's whole log from its public API (--database: its own database)", load: async () => (await import('./commands/log-verify.js')).logVerify },
    ],
  ],
];

const COMMANDS = SECTIONS.flatMap(([, commands]) => commands);
/** Words that take a subcommand: `log verify`, `state forget`. */
const GROUPS = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];

export const EXIT_STATUS_HELP = `Exit status:
  0  success
  1  a check failed (a signature, proof, chain or record does not verify), or the registry
     refused the request; the message says what to do
  2  usage or configuration error
  3  the registry's log forked: it showed two views of its log that cannot both be true, or
     signed a key map root that is not the map of its log (MAP_ROOT_MISMATCH) — keep the state
     file and any printed checkpoints: they are signed evidence
  4  the registry could not be reached or is unavailable; try again later
  5  lookup: the identity is revoked (--allow-revoked accepts it)`;

const HELP = `usage: peerkeys <command> [options]

${SECTIONS.map(([title, commands]) => `${title}\n${commands.map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join('\n')}`).join('\n\n')}

Which registry: --registry <url|profile>, else $PEERKEYS_REGISTRY, else the default profile
(\`peerkeys pin <url>\` makes one). Its key (the log verifier key, pinned out of band): --vkey,
else the profile's, else $PEERKEYS_VKEY, else the one pinned for that URL. What a command verified
is kept per log (origin and key) in a state file (--state, $PEERKEYS_STATE, default
<config>/state.json), so that a registry cannot later show an older or forked log unnoticed.
Identity commands read the keys file made by \`peerkeys keygen\` (--keys, $PEERKEYS_KEYS, default
<config>/identity.json). <config> is $PEERKEYS_HOME, else $XDG_CONFIG_HOME/peerkeys, else
~/.config/peerkeys; the CLI makes it readable by you alone. No command prints a secret key, except
\`keygen --seed\`, which exists to print one.

Every command takes --json: one JSON object on stdout, errors included as
{ "error": { "code", "message", ... }, "exit" }, with the same exit statuses. Colour (only on a
terminal) is off when NO_COLOR is set.

${EXIT_STATUS_HELP}

\`peerkeys help <command>\` (or \`peerkeys <command> --help\`) explains a command; \`peerkeys --version\`.`;

function groupHelp(group: string): string {
  return `usage: peerkeys ${group} <subcommand> [options]
${COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join('\n')}

Run \`peerkeys help ${group} <subcommand>\` for its options.`;
}

function version(): string {
  // src/cli/ and dist/cli/ are both two folders below package.json.
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function environment(): CliEnvironment {
  const env = process.env;
  const nonEmpty = (name: string) => (env[name] === '' ? undefined : env[name]);
  const loadDotEnv = () => {
    if (existsSync('.env')) process.loadEnvFile('.env');
  };
  return {
    registry: nonEmpty('PEERKEYS_REGISTRY'),
    vkey: nonEmpty('PEERKEYS_VKEY'),
    state: nonEmpty('PEERKEYS_STATE'),
    keys: nonEmpty('PEERKEYS_KEYS'),
    witnesses: nonEmpty('PEERKEYS_WITNESSES'),
    witnessQuorum: nonEmpty('PEERKEYS_WITNESS_QUORUM'),
    witnessWait: nonEmpty('PEERKEYS_WITNESS_WAIT'),
    configDir: nonEmpty('PEERKEYS_HOME') ?? join(nonEmpty('XDG_CONFIG_HOME') ?? join(homedir(), '.config'), 'peerkeys'),
    noColor: nonEmpty('NO_COLOR') !== undefined || env['TERM'] === 'dumb',
    serverConfig({ defaults = {}, ...options } = {}) {
      loadDotEnv();
      return readConfig({ ...defaults, ...process.env }, options);
    },
    serverVariable(name) {
      loadDotEnv();
      return nonEmpty(name);
    },
  };
}

/** Runs `peerkeys <argv>`; when a one-shot command ends, exits with its status. */
export async function main(argv: string[]): Promise<void> {
  const code = await run(argv, environment());
  if (code !== 'running') {
    process.exitCode = code;
    // Let stdout drain (a large --json object into a pipe) before leaving.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(code);
  }
}

export async function run(argv: string[], env: CliEnvironment): Promise<number | 'running'> {
  const end = argv.indexOf('--');
  const json = (end < 0 ? argv : argv.slice(0, end)).includes('--json');
  const ui = new Ui({ json, noColor: env.noColor });
  const words = argv.filter((word, i) => !(word === '--json' && (end < 0 || i < end)));
  const fail = (command: string, error: unknown): number => {
    const failure = describeFailure(command, error);
    if (json) ui.printJson(failureJson(failure));
    else process.stderr.write(formatFailure(command, failure, ui.errColour));
    return failure.exit;
  };
  /** A usage error: the message, the usage lines of the help (its first paragraph), and where the rest is. */
  const usage = (command: string, message: string, help: string, details: Record<string, unknown> = {}, code = 'USAGE'): number => {
    if (json) return fail(command, new UsageError(message, code, details));
    const synopsis = help.split('\n\n')[0]!;
    const more = command === '' ? '`peerkeys --help` lists the commands' : `\`peerkeys help ${command}\` explains it all`;
    process.stderr.write(`${formatFailure(command, { exit: EXIT.USAGE, code, message }, ui.errColour)}\n${synopsis}\n(${more})\n`);
    return EXIT.USAGE;
  };
  const show = (text: string): number => {
    if (json) ui.printJson({ help: text });
    else process.stdout.write(`${text}\n`);
    return EXIT.OK;
  };

  const [first, ...rest] = words;
  if (first === undefined) return usage('', 'which command?', HELP);
  if (first === '--version' || first === '-V' || first === 'version') {
    if (json) ui.printJson({ version: version() });
    else process.stdout.write(`peerkeys ${version()}\n`);
    return EXIT.OK;
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    if (rest.length === 0) return show(HELP);
    const found = resolve(rest);
    if (found.kind === 'group') return show(groupHelp(found.group));
    if (found.kind === 'unknown') return unknownCommand(found.name, found.group);
    return show((await found.entry.load()).help);
  }

  const found = resolve(words);
  if (found.kind === 'unknown') return unknownCommand(found.name, found.group);
  if (found.kind === 'group') {
    const sub = found.args[0];
    if (sub === undefined) return usage(found.group, `which ${found.group} subcommand?`, groupHelp(found.group));
    return show(groupHelp(found.group)); // --help, -h
  }
  const { entry, args } = found;
  const command = await entry.load();
  const options: Options = { ...command.options, help: { type: 'boolean', short: 'h' } };

  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    if (unknown !== undefined) {
      const name = unknown.replace(/^-+/, '').split('=')[0]!;
      const flags = [...Object.keys(options), 'json'];
      const suggestion = unknown.startsWith('--') ? closest(name, flags) : null;
      return usage(
        entry.name,
        `Unknown option '${unknown}'${suggestion === null ? '' : `; did you mean --${suggestion}?`}`,
        command.help,
        { option: unknown, ...(suggestion !== null ? { suggestion: `--${suggestion}` } : {}) },
        'UNKNOWN_OPTION',
      );
    }
    return usage(entry.name, (error as Error).message, command.help);
  }
  if (parsed.values['help'] === true) return show(command.help);
  if (parsed.positionals.length > (command.positionals ?? 0)) {
    return usage(entry.name, `unexpected argument "${parsed.positionals[command.positionals ?? 0]}"`, command.help);
  }
  const invocation = { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals, env, ui };
  try {
    return await command.run(invocation);
  } catch (error) {
    return fail(entry.name, await diagnosePinnedLog(error, invocation));
  }

  function unknownCommand(name: string, group: string | null): number {
    const candidates = group === null ? [...COMMANDS.map((c) => c.name.split(' ')[0]!), 'help'] : COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name);
    const suggestion = closest(group === null ? name : `${group} ${name}`, [...new Set(candidates)]);
    return usage(
      group ?? '',
      `unknown command "${group === null ? name : `${group} ${name}`}"${suggestion === null ? '' : `; did you mean \`peerkeys ${suggestion}\`?`}`,
      group === null ? HELP : groupHelp(group),
      suggestion === null ? {} : { suggestion },
      'UNKNOWN_COMMAND',
    );
  }
}

type Resolved =
  | { kind: 'command'; entry: CommandEntry; args: string[] }
  | { kind: 'group'; group: string; args: string[] }
  | { kind: 'unknown'; name: string; group: string | null };

/** Which command the words name: `lookup …`, `log verify …`, a bare group, or none. */
function resolve(words: string[]): Resolved {
  const [first, ...rest] = words;
  if (GROUPS.includes(first!)) {
    const sub = rest[0];
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'group', group: first!, args: rest };
    const entry = COMMANDS.find((c) => c.name === `${first} ${sub}`);
    return entry === undefined ? { kind: 'unknown', name: sub, group: first! } : { kind: 'command', entry, args: rest.slice(1) };
  }
  const entry = COMMANDS.find((c) => c.name === first);
  return entry === undefined ? { kind: 'unknown', name: first!, group: null } : { kind: 'command', entry, args: rest };
}
