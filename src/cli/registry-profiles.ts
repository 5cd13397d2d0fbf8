/**
 * Registries pinned with `peerkeys pin`: a profile is a name for a registry's URL and the verifier
 * key (vkey) pinned for it, kept in <config>/registries.json (mode 0600). One of them may be the
 * default, used when no registry is named.
 */
import { join } from 'node:path';
import * as z from 'zod';
import { parseVerifierKey } from '../protocol/checkpoint.js';
import { UsageError } from './command.js';
import { readOptionalFile, writePrivateFile } from './private-file.js';

const FORMAT = 'peerkeys-registries/1';

export interface RegistryProfile {
  url: string;
  vkey: string;
  /** When it was pinned (RFC 3339). */
  pinnedAt: string;
}

/** Profile names: what a person types after --registry; never a URL (those have "://"). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  default: z.string().nullable(),
  registries: z.record(
    z.string().regex(NAME),
    z.strictObject({ url: z.string(), vkey: z.string().refine((v) => parseVerifierKey(v) !== null, 'not a verifier key'), pinnedAt: z.string() }),
  ),
});

export type ProfilesDocument = z.output<typeof fileSchema>;

export function isProfileName(text: string): boolean {
  return NAME.test(text) && !text.includes('://');
}

export class RegistryProfiles {
  readonly path: string;

  constructor(configDir: string) {
    this.path = join(configDir, 'registries.json');
  }

  read(): ProfilesDocument {
    const text = readOptionalFile(this.path);
    if (text === null) return { format: FORMAT, default: null, registries: {} };
    try {
      return fileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new UsageError(`${this.path} is not a peerkeys registries file (${(error as Error).message.split('\n')[0]}); move it away and pin again`, 'BAD_CONFIG_FILE');
    }
  }

  write(document: ProfilesDocument): void {
    writePrivateFile(this.path, `${JSON.stringify(document, null, 2)}\n`);
  }

  get(name: string): RegistryProfile | null {
    return this.read().registries[name] ?? null;
  }

  /** The default profile, with its name. */
  defaultProfile(): (RegistryProfile & { name: string }) | null {
    const document = this.read();
    const profile = document.default === null ? undefined : document.registries[document.default];
    return profile === undefined ? null : { name: document.default!, ...profile };
  }

  /** The profile pinned for a URL (the first, by name), if any. */
  forUrl(url: string): (RegistryProfile & { name: string }) | null {
    const found = Object.entries(this.read().registries).find(([, profile]) => profile.url === url);
    return found === undefined ? null : { name: found[0], ...found[1] };
  }
}

/** A profile name made from a registry URL: its host and port. */
export function profileNameFor(url: string): string {
  const host = new URL(url).host.replace(/[^A-Za-z0-9._:-]/g, '-');
  return isProfileName(host) ? host : 'registry';
}
