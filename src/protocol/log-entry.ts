/** Log leaves (DESIGN.md §5): every accepted identity and group record, in acceptance order. */
import type { JsonObject } from './json.js';
import { leafHash } from './merkle.js';
import { canonicalBytes } from './signing.js';

/** One log entry as the API shows it. */
export interface LogEntry<R extends object = JsonObject> {
  index: number;
  acceptedAt: string;
  record: R;
}

/** leaf bytes = JCS({ "acceptedAt": <time>, "record": <the record> }) */
export function logLeafBytes(acceptedAt: string, record: object): Uint8Array {
  return canonicalBytes({ acceptedAt, record });
}

export function logLeafHash(acceptedAt: string, record: object): Uint8Array {
  return leafHash(logLeafBytes(acceptedAt, record));
}
