/** Log leaves (DESIGN.md §5): every accepted identity and group record, in acceptance order. */
import { utf8 } from './encoding.js';
import { canonicalJson, type JsonObject } from './json.js';
import { leafHash } from './merkle.js';

/** One log entry as the API shows it. */
export interface LogEntry<R extends object = JsonObject> {
  index: number;
  acceptedAt: string;
  record: R;
}

/** leaf bytes = JCS({ "acceptedAt": <time>, "record": <the record> }) */
export function logLeafBytes(acceptedAt: string, record: object): Uint8Array {
  return logLeafBytesFromCanonical(acceptedAt, canonicalJson(record));
}

/**
 * logLeafBytes of the record whose canonical JSON is `canonicalRecord`, without encoding it again:
 * JCS of the two-member object is its members in key order ("acceptedAt" < "record"), each key and
 * string as JSON.stringify writes it (RFC 8785 §3.2.2.2), the record's value its own JCS.
 */
export function logLeafBytesFromCanonical(acceptedAt: string, canonicalRecord: string): Uint8Array {
  return utf8(`{"acceptedAt":${canonicalJson(acceptedAt)},"record":${canonicalRecord}}`);
}

export function logLeafHash(acceptedAt: string, record: object): Uint8Array {
  return leafHash(logLeafBytes(acceptedAt, record));
}
