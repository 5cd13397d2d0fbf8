/** Turning untrusted JSON into a typed record: the strict schema, then the size limit. */
import type { z } from 'zod';
import { ProtocolError } from './errors.js';
import { canonicalBytes } from './signing.js';
import { describeIssues } from './schemas.js';

/** Parses `value` with a record schema, or throws INVALID_RECORD explaining what is wrong. */
export function parseRecord<S extends z.ZodType>(schema: S, value: unknown, maxCanonicalBytes: number, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ProtocolError('INVALID_RECORD', `invalid ${what} record: ${describeIssues(result.error)}`);
  // An optional field given as undefined (possible from code, never from JSON) means absent.
  const data = Object.fromEntries(Object.entries(result.data as object).filter(([, v]) => v !== undefined)) as z.output<S>;
  const size = canonicalBytes(data as object).length;
  if (size > maxCanonicalBytes) {
    throw new ProtocolError('INVALID_RECORD', `${what} record is ${size} bytes of canonical JSON; the limit is ${maxCanonicalBytes}`);
  }
  return data;
}
