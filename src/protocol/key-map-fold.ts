/**
 * The key map as a function of the log (docs/DESIGN.md §5.2.6, "Folding the log"): each log entry sets
 * its record's key to the record's head value, in log order, so the map after the first N entries
 * is a pure function of those N entries that any mirror or auditor can recompute.
 *
 * Why "the last accepted record of a key is its head", recoveries included: the registry accepts
 * an identity record only as an update of the head or as a recovery (DESIGN.md §2), and either
 * way the new record becomes the head — a recovery nullifies the records after its fork point,
 * and they are never a head again. Groups have no recovery: each record extends the head. So the
 * fold needs no chain state; whether the chain rules hold is what verify-log checks by replaying
 * them (identity-rules.ts, group-rules.ts), before or beside this fold.
 *
 * The fold reads only the fields it needs and checks just those, so it is cheap enough for the
 * ledger's write path; it does not re-check schemas or signatures.
 */
import { KeyMapError } from './errors.js';
import type { GroupRecord } from './group.js';
import { sha256 } from './hash.js';
import type { IdentityRecord } from './identity.js';
import { isPeersId } from './ids.js';
import type { LogEntry } from './log-entry.js';
import { KeyMap } from './key-map-tree.js';
import type { MapKey, MapStatus, MapUpdate } from './key-map.js';
import { canonicalBytes } from './signing.js';

/** The records the log holds (DESIGN.md §5): each is the head of its key once accepted. */
export type MapRecord = IdentityRecord | GroupRecord;

function invalid(entry: { index: unknown }, why: string): KeyMapError {
  return new KeyMapError('MAP_ENTRY_INVALID', `log entry ${String(entry.index)}: ${why}`);
}

/** The key a record belongs to, and the status its head value carries. */
function keyAndStatus(entry: LogEntry<MapRecord>): { key: MapKey; status: MapStatus } {
  const record = entry.record as unknown as Record<string, unknown>;
  if (typeof record !== 'object' || record === null) throw invalid(entry, 'the record is not an object');
  if (record.type === 'identity') {
    if (typeof record.userId !== 'string' || !isPeersId(record.userId)) throw invalid(entry, 'userId is not a Peers id');
    if (record.status !== 'active' && record.status !== 'revoked') throw invalid(entry, 'status is neither "active" nor "revoked"');
    return { key: { kind: 'user', id: record.userId }, status: record.status };
  }
  if (record.type === 'group') {
    if (typeof record.groupId !== 'string' || !isPeersId(record.groupId)) throw invalid(entry, 'groupId is not a Peers id');
    return { key: { kind: 'group', id: record.groupId }, status: 'active' };
  }
  throw invalid(entry, `a record of type ${JSON.stringify(record.type)} has no key in the map`);
}

/**
 * The map update one log entry makes: its key's value becomes this record's head, and the value's
 * `recordHash` SHA-256 of the record's canonical JSON (DESIGN.md §5.2; the digest recordHash spells
 * in base64url). `recordHash`, apart from the entry so nothing an entry object carries is ever
 * taken for it: that digest when the caller has already computed it, as the registry's log writer
 * has (ledger/entry-kind.ts, Write.digest); verifiers leave it out.
 */
export function mapUpdateOf(entry: LogEntry<MapRecord>, recordHash?: Uint8Array): MapUpdate {
  if (!Number.isSafeInteger(entry.index) || entry.index < 0) throw invalid(entry, 'the index is not an integer from 0 to 2^53 - 1');
  const { key, status } = keyAndStatus(entry);
  const seq = (entry.record as { seq?: unknown }).seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw invalid(entry, 'seq is not an integer from 0 to 2^53 - 1');
  return { key, value: { recordHash: recordHash ?? sha256(canonicalBytes(entry.record)), index: entry.index, seq, status } };
}

/**
 * The updates of consecutive log entries, one per entry, in order. The first entry must have
 * index `start` (0 for a fold from the beginning, a snapshot's size to continue one), and each
 * next one the index after: a gap or a repeat would make a different map. `recordHashes`: the
 * entries' record digests in the same order, when the caller has them (mapUpdateOf's `recordHash`).
 */
export function* mapUpdatesOf(entries: Iterable<LogEntry<MapRecord>>, start = 0, recordHashes?: readonly Uint8Array[]): Generator<MapUpdate> {
  let expected = start;
  for (const entry of entries) {
    if (entry.index !== expected) throw invalid(entry, `expected the entry at index ${expected}`);
    yield mapUpdateOf(entry, recordHashes?.[expected - start]);
    expected++;
  }
}

/** The map after folding `entries` (the log from index 0) into an empty map. */
export function keyMapOf(entries: Iterable<LogEntry<MapRecord>>): KeyMap {
  const map = new KeyMap();
  map.apply(mapUpdatesOf(entries));
  return map;
}
