/** How commands print: results on stdout (one fact a line, or JSON), progress and problems on stderr. */
import { keyFingerprint } from '../sdk/fingerprint.js';

export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `label  <key>  <fingerprint>`: the key in full, and the short form people read to each other. */
export function keyLine(label: string, publicKey: string): string {
  return `${label.padEnd(14)}${publicKey}  ${keyFingerprint(publicKey)}`;
}

/** A key with its fingerprint, for JSON output. */
export function keyJson(publicKey: string): { key: string; fingerprint: string } {
  return { key: publicKey, fingerprint: keyFingerprint(publicKey) };
}
