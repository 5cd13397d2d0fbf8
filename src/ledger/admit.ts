/**
 * Checks one log entry's record by itself, dispatched on its `type` (its entry kind): the kind's
 * strict schema and its signatures. Chain rules need the state before the entry, so they are
 * applied later, in log order (LedgerState.decide).
 */
import { ProtocolError } from '../protocol/errors.js';
import type { VerifySignature } from '../protocol/signing.js';
import { Write, type AnyEntryKind, type LogWrite } from './entry-kind.js';
import { InvalidEntry, UnknownEntryKind } from './errors.js';
import { ENTRY_KINDS } from './kinds/index.js';

/** The kind of a record, by its `type`: throws UnknownEntryKind for one this version does not know. */
export function entryKindOf(index: number, record: unknown): AnyEntryKind {
  const type = typeof record === 'object' && record !== null ? (record as { type?: unknown }).type : undefined;
  const kind = typeof type === 'string' ? ENTRY_KINDS.get(type) : undefined;
  if (kind === undefined) throw new UnknownEntryKind(index, typeof type === 'string' ? type : JSON.stringify(type ?? null));
  return kind;
}

/** Parses and verifies the record of log entry `index`. Throws UnknownEntryKind or InvalidEntry. */
export async function admitRecord(index: number, record: unknown, verify: VerifySignature): Promise<LogWrite> {
  const kind = entryKindOf(index, record);
  try {
    // Parsed and encoded once: the Write logs, hashes and splices the encoding the size limit measured.
    const parsed = kind.parseAndEncode(record);
    await kind.verifySignatures(parsed.record, verify);
    return new Write(kind, parsed);
  } catch (error) {
    if (error instanceof ProtocolError) throw new InvalidEntry(index, 'record', error.code, `${error.code}: ${error.message}`);
    throw error;
  }
}
