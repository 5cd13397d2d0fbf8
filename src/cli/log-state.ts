/**
 * The CLI's state file: what this client verified about each log it talks to — the last
 * checkpoint, and the head of every identity and group it looked up (the SDK's ClientStore
 * entries) — so that a registry cannot later show it an older or forked log unnoticed.
 *
 * State is kept per LOG, and a log is its verifier key: the origin AND the key. A registry
 * restarted on a fresh data folder has a new key, so it is a new log and starts with a clean
 * slate. The same key showing a smaller or different log is exactly what the state is there to
 * catch: that is only undone by `peerkeys state forget <origin>`, which keeps a copy of what it
 * forgets (the signed checkpoints are evidence).
 *
 *   { "format": "peerkeys-cli-state/2",
 *     "logs": { "<vkey>": { "origin": "...", "keyId": "<8 hex>", "values": { "<SDK key>": "..." } } },
 *     "legacy": { ... } }
 *
 * Before this format the file was the SDK's FileStore: one flat map, keyed by origin alone. Such a
 * file is read as `legacy`, and its entries for an origin are adopted by the log whose key signed
 * their saved checkpoint, the first time that log is used; entries of another key stay behind.
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod';
import { parseSignedNote, parseVerifierKey, type NoteKey } from '../protocol/checkpoint.js';
import { toHex } from '../protocol/encoding.js';
import type { ClientStore } from '../sdk/store.js';
import { UsageError } from './command.js';
import { readOptionalFile, writePrivateFile } from './private-file.js';

const FORMAT = 'peerkeys-cli-state/2';

const logSchema = z.strictObject({ origin: z.string(), keyId: z.string(), values: z.record(z.string(), z.string()) });
const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  logs: z.record(z.string(), logSchema),
  legacy: z.record(z.string(), z.string()).optional(),
});
const legacySchema = z.record(z.string(), z.string());

type StateDocument = z.output<typeof fileSchema>;
type LogState = z.output<typeof logSchema>;

/** What the state holds about one log, for `peerkeys state show` and `forget`. */
export interface LogSummary {
  origin: string;
  keyId: string;
  vkey: string;
  /** The last checkpoint verified, or null. */
  checkpoint: { size: number; root: string; note: string } | null;
  /** Identities and groups whose head this client has seen. */
  heads: number;
}

/** The default place of `log verify`'s cursor for a log: beside the state file, named by origin and key id. */
export function defaultCursorPath(statePath: string, key: NoteKey): string {
  return join(dirname(statePath), `${cursorPrefix(key.name)}${toHex(key.keyId)}.json`);
}

function cursorPrefix(origin: string): string {
  return `log-verify-${origin.replace(/[^A-Za-z0-9.-]+/g, '_')}-`;
}

/**
 * Whether a key of the SDK's store belongs to `origin`: `checkpoint:<origin>`, or
 * `<kind>:<origin>:<id>` with a Peers id (origins may hold ':', so the id is checked, not split).
 */
function belongsTo(storeKey: string, origin: string): boolean {
  const rest = storeKey.slice(storeKey.indexOf(':') + 1);
  return rest === origin || (rest.startsWith(`${origin}:`) && /^[0-9a-z]{25}$/.test(rest.slice(origin.length + 1)));
}

export class StateFile {
  constructor(readonly path: string) {}

  read(): StateDocument {
    const text = readOptionalFile(this.path);
    if (text === null) return { format: FORMAT, logs: {} };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.damaged('not JSON');
    }
    const current = fileSchema.safeParse(value);
    if (current.success) return current.data;
    const legacy = legacySchema.safeParse(value);
    if (legacy.success && !('format' in legacy.data)) return { format: FORMAT, logs: {}, legacy: legacy.data };
    throw this.damaged(current.error.issues[0]?.message ?? 'unknown format');
  }

  private damaged(why: string): UsageError {
    return new UsageError(
      `${this.path} is not a peerkeys state file (${why}). Keep it (it may hold signed checkpoints) and move it away, or pass another --state`,
      'BAD_STATE_FILE',
    );
  }

  private write(document: StateDocument): void {
    if (document.legacy !== undefined && Object.keys(document.legacy).length === 0) delete document.legacy;
    writePrivateFile(this.path, `${JSON.stringify(document, null, 2)}\n`);
  }

  /** The log's section, created (and legacy entries adopted) when missing. */
  private section(document: StateDocument, vkey: string): LogState {
    const existing = document.logs[vkey];
    if (existing !== undefined) return existing;
    const key = parseVerifierKey(vkey);
    if (key === null) throw new TypeError('not a verifier key');
    const section: LogState = { origin: key.name, keyId: toHex(key.keyId), values: {} };
    document.logs[vkey] = section;
    const legacy = document.legacy ?? {};
    const checkpoint = legacy[`checkpoint:${key.name}`];
    if (checkpoint !== undefined && signedBy(checkpoint, key)) {
      for (const name of Object.keys(legacy)) {
        if (!belongsTo(name, key.name)) continue;
        section.values[name] = legacy[name]!;
        delete legacy[name];
      }
    }
    return section;
  }

  /** The SDK store for one log. Every call re-reads the file, so runs that overlap lose less. */
  store(vkey: string): ClientStore {
    return {
      get: (name) => {
        const document = this.read();
        const adopting = document.logs[vkey] === undefined && document.legacy !== undefined;
        const value = this.section(document, vkey).values[name] ?? null;
        if (adopting && Object.keys(document.logs[vkey]!.values).length > 0) this.write(document);
        return value;
      },
      set: (name, value) => {
        const document = this.read();
        this.section(document, vkey).values[name] = value;
        this.write(document);
      },
    };
  }

  /** What is kept, log by log. */
  logs(): LogSummary[] {
    return Object.entries(this.read().logs).map(([vkey, log]) => summary(vkey, log));
  }

  /** Legacy entries no log has adopted yet, counted by origin (those of an origin whose checkpoint was kept). */
  legacyOrigins(): Map<string, number> {
    const legacy = Object.keys(this.read().legacy ?? {});
    const counts = new Map<string, number>();
    for (const name of legacy) {
      if (!name.startsWith('checkpoint:')) continue;
      const origin = name.slice('checkpoint:'.length);
      counts.set(origin, legacy.filter((n) => belongsTo(n, origin)).length);
    }
    return counts;
  }

  /**
   * Forgets every log of `origin` (only the one of `keyId` when given), its legacy entries and its
   * default `log verify` cursors. What is forgotten is first saved to a file beside the state file,
   * whose path is returned (null when there was nothing to forget).
   */
  forget(origin: string, keyId?: string): { forgotten: LogSummary[]; legacy: number; cursors: string[]; archive: string | null } {
    const document = this.read();
    const archived: Record<string, LogState> = {};
    for (const [vkey, log] of Object.entries(document.logs)) {
      if (log.origin !== origin || (keyId !== undefined && log.keyId !== keyId)) continue;
      archived[vkey] = log;
      delete document.logs[vkey];
    }
    const legacy: Record<string, string> = {};
    for (const [name, value] of Object.entries(document.legacy ?? {})) {
      if (!belongsTo(name, origin)) continue;
      legacy[name] = value;
      delete document.legacy![name];
    }
    const forgotten = Object.entries(archived).map(([vkey, log]) => summary(vkey, log));
    let archive: string | null = null;
    if (forgotten.length > 0 || Object.keys(legacy).length > 0) {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      archive = join(dirname(this.path), 'forgotten', `${stamp}-${origin.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`);
      writePrivateFile(archive, `${JSON.stringify({ format: FORMAT, forgottenFrom: this.path, logs: archived, legacy }, null, 2)}\n`);
      this.write(document);
    }
    const cursors = this.cursorFiles(origin, keyId);
    for (const cursor of cursors) rmSync(cursor, { force: true });
    return { forgotten, legacy: Object.keys(legacy).length, cursors, archive };
  }

  private cursorFiles(origin: string, keyId?: string): string[] {
    const dir = dirname(this.path);
    const prefix = cursorPrefix(origin);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.startsWith(prefix) && /^[0-9a-f]{8}\.json$/.test(name.slice(prefix.length)) && (keyId === undefined || name.slice(prefix.length, -5) === keyId))
      .map((name) => join(dir, basename(name)));
  }
}

function summary(vkey: string, log: LogState): LogSummary {
  const saved = log.values[`checkpoint:${log.origin}`];
  let checkpoint: LogSummary['checkpoint'] = null;
  if (saved !== undefined) {
    try {
      const parsed = JSON.parse(saved) as { size: number; root: string; note: string };
      checkpoint = { size: parsed.size, root: parsed.root, note: parsed.note };
    } catch {
      checkpoint = null;
    }
  }
  const heads = Object.keys(log.values).filter((name) => /^(head|group-head):/.test(name)).length;
  return { origin: log.origin, keyId: log.keyId, vkey, checkpoint, heads };
}

/** Whether a saved checkpoint (the SDK's JSON: size, root, note) carries a signature line of `key`. */
function signedBy(saved: string, key: NoteKey): boolean {
  try {
    const note = (JSON.parse(saved) as { note?: unknown }).note;
    if (typeof note !== 'string') return false;
    const parsed = parseSignedNote(note);
    return parsed !== null && parsed.signatures.some((s) => s.name === key.name && toHex(s.keyId) === toHex(key.keyId));
  } catch {
    return false;
  }
}
