/**
 * A ClientStore in a JSON file, for Node (`@peerkeys/sdk/node`). Writes go to a temporary file
 * that is then renamed over the old one, so a crash never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClientStore } from '../store.js';

export class FileStore implements ClientStore {
  private values: Record<string, string> | null = null;

  constructor(private readonly path: string) {}

  private load(): Record<string, string> {
    if (this.values === null) {
      try {
        this.values = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.values = {};
      }
    }
    return this.values;
  }

  get(key: string): string | null {
    return this.load()[key] ?? null;
  }

  set(key: string, value: string): void {
    const values = { ...this.load(), [key]: value };
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(values, null, 2), { mode: 0o600 });
    renameSync(temporary, this.path);
    this.values = values;
  }
}
