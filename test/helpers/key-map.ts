/**
 * The key map as a client and an auditor see it (DESIGN.md §5.2, §6): what an answer's map proof
 * shows against the checkpoint in the same answer, and the map rebuilt from GET /v1/log/entries
 * alone, with the root after every size.
 */
import { expect } from '@jest/globals';
import { isRegistryCheckpoint, verifyCheckpointNote, type RegistryCheckpoint } from '../../src/protocol/checkpoint.js';
import { fromBase64Url, toBase64 } from '../../src/protocol/encoding.js';
import { mapUpdateOf, type MapRecord } from '../../src/protocol/key-map-fold.js';
import { KeyMap } from '../../src/protocol/key-map-tree.js';
import { verifyMapProof, type MapKey, type MapValue } from '../../src/protocol/key-map.js';
import type { LogEntry } from '../../src/protocol/log-entry.js';
import { sha256 } from '../../src/protocol/hash.js';
import { canonicalBytes } from '../../src/protocol/signing.js';
import type { NoteKey } from '../../src/protocol/checkpoint.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { api, type Target } from './http.js';

/** The checkpoint a note signed by `key` holds, with its map and time lines (fails the test otherwise). */
export async function registryCheckpoint(note: string, key: NoteKey): Promise<RegistryCheckpoint> {
  const checkpoint = await verifyCheckpointNote(note, key, nodeVerify);
  expect(checkpoint).not.toBeNull();
  expect(isRegistryCheckpoint(checkpoint!)).toBe(true);
  return checkpoint as RegistryCheckpoint;
}

/** What `mapProof` (base64url) shows for `key` against the map root of the checkpoint `note`: its value, or null for absent. Throws a KeyMapError when it does not verify. */
export async function provenValue(note: string, key: NoteKey, mapKey: MapKey, mapProof: unknown): Promise<MapValue | null> {
  expect(typeof mapProof).toBe('string');
  const bytes = fromBase64Url(mapProof as string);
  expect(bytes).not.toBeNull();
  return verifyMapProof((await registryCheckpoint(note, key)).mapRoot, mapKey, bytes!);
}

/** The map value of a head: the last entry of a bundle (or a log entry), as docs/DESIGN.md §5.2 defines it. */
export function headValue(entry: { index: number; record: { seq: number; status?: string } }): MapValue {
  return { recordHash: sha256(canonicalBytes(entry.record)), index: entry.index, seq: entry.record.seq, status: entry.record.status === 'revoked' ? 'revoked' : 'active' };
}

/** A map value in a form Jest shows and compares readably. */
export function shown(value: MapValue | null): unknown {
  return value === null ? null : { ...value, recordHash: toBase64(value.recordHash) };
}

/** Every entry of the log, read page by page from GET /v1/log/entries. */
export async function allEntries(target: Target): Promise<Array<LogEntry<MapRecord>>> {
  const entries: Array<LogEntry<MapRecord>> = [];
  for (let start: number | undefined = 0; start !== undefined; ) {
    const reply = await api(target).get(`/v1/log/entries?start=${start}&limit=1000`);
    expect(reply.status).toBe(200);
    entries.push(...(reply.body.entries as Array<LogEntry<MapRecord>>));
    start = reply.body.next as number | undefined;
  }
  return entries;
}

/** The map root (standard base64) after each size from 0 to the number of entries: the fold of docs/DESIGN.md §5.2. */
export function foldedRoots(entries: Array<LogEntry<MapRecord>>): string[] {
  const map = new KeyMap();
  const roots = [toBase64(map.root())];
  entries.forEach((entry, i) => {
    expect(entry.index).toBe(i);
    map.apply([mapUpdateOf(entry)]);
    roots.push(toBase64(map.root()));
  });
  return roots;
}

/**
 * Whether a statement is a lookup round (db/chain-lookups.ts: the chains with the latest
 * checkpoint, in one snapshot), as the round gives it to Database.query on either database.
 */
export function isLookupRound(text: string): boolean {
  return text.includes('AS chains') && text.includes('FROM log_checkpoints');
}
