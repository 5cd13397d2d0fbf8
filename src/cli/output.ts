/**
 * How commands print: results on stdout (one fact a line, or one JSON object with --json),
 * progress and problems on stderr. Colour only where a person reads it: on a terminal, and never
 * when NO_COLOR is set (https://no-color.org) — the ✔ and ✖ marks carry the meaning without it.
 */
import type { NoteKey } from '../protocol/checkpoint.js';
import { toBase64Url } from '../protocol/encoding.js';
import { keyFingerprint } from '../sdk/fingerprint.js';
import { progress, type Progress } from './progress.js';

const STYLES = { green: 32, red: 31, yellow: 33, bold: 1, dim: 2 } as const;
export type Style = keyof typeof STYLES;

/** Whether text for `stream` may be coloured. */
export function colourFor(stream: { isTTY?: boolean }, noColor: boolean): boolean {
  return stream.isTTY === true && !noColor;
}

/** Wraps `text` in an SGR colour when `enabled`. */
export function paint(text: string, style: Style, enabled: boolean): string {
  return enabled ? `\u001b[${STYLES[style]}m${text}\u001b[0m` : text;
}

export interface UiOptions {
  json: boolean;
  noColor: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WriteStream;
}

/** One command run's output. */
export class Ui {
  readonly json: boolean;
  private readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly err: NodeJS.WriteStream;
  private readonly outColour: boolean;
  readonly errColour: boolean;

  constructor(options: UiOptions) {
    this.json = options.json;
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    this.outColour = colourFor(this.out, options.noColor);
    this.errColour = colourFor(this.err, options.noColor);
  }

  /** A line of the human-readable result (nothing with --json: the command prints its object). */
  print(text = ''): void {
    if (!this.json) this.out.write(`${text}\n`);
  }

  /** Raw text on stdout, as is (a signed note). */
  write(text: string): void {
    if (!this.json) this.out.write(text);
  }

  /** The one JSON object of a --json run. */
  printJson(value: unknown): void {
    this.out.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON object on a line of its own: for commands that go on reporting (mirror). */
  printJsonLine(value: unknown): void {
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  /** `✔ text`: a verified or successful result. */
  ok(text: string): void {
    this.print(`${paint('✔', 'green', this.outColour)} ${text}`);
  }

  /** `✖ text`: a failed check, in the result (stdout). */
  bad(text: string): void {
    this.print(`${paint('✖', 'red', this.outColour)} ${text}`);
  }

  /** The mark for a state, coloured for the stream it is written to: ✔ good, ✖ bad. */
  mark(good: boolean, stream: 'out' | 'err' = 'out'): string {
    const colour = stream === 'out' ? this.outColour : this.errColour;
    return good ? paint('✔', 'green', colour) : paint('✖', 'red', colour);
  }

  /** A note for the person running the command, on stderr (nothing with --json). */
  note(text: string): void {
    if (!this.json) this.err.write(`${text}\n`);
  }

  /** `✖ text` on stderr: what a person must know although the command printed its result. */
  problem(text: string): void {
    if (!this.json) this.err.write(`${paint('✖', 'red', this.errColour)} ${text}\n`);
  }

  /** Progress of a long job: redrawn on a terminal with rate and ETA; silent otherwise and with --json. */
  progress(label: string): Progress {
    return progress(label, { stream: this.err, enabled: !this.json && this.err.isTTY === true, quiet: this.json });
  }
}

/** `label  <key>  <fingerprint>`: the key in full, and the short form people read to each other. */
export function keyLine(label: string, publicKey: string): string {
  return `${label.padEnd(14)}${publicKey}  ${keyFingerprint(publicKey)}`;
}

/** A key with its fingerprint, for JSON output. */
export function keyJson(publicKey: string): { key: string; fingerprint: string } {
  return { key: publicKey, fingerprint: keyFingerprint(publicKey) };
}

/** A registry key's fingerprint: that of its Ed25519 public key, in the form `lookup` shows keys in. */
export function vkeyFingerprint(key: NoteKey): string {
  return keyFingerprint(toBase64Url(key.publicKey));
}
