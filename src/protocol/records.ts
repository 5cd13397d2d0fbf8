/** Turning untrusted JSON into a typed record: the strict schema, then the size limit. */
import type * as z from 'zod/mini';
import { ProtocolError } from './errors.js';
import { utf8 } from './encoding.js';
import { canonicalJson } from './json.js';
import { describeIssues } from './schemas.js';

declare const encodedRecord: unique symbol;

/**
 * A record that passed its schema and size limit, with its canonical JSON (`canonicalJson(record)`):
 * encoded once, for the limit, and handed on to whatever hashes or stores the record. Only
 * parseAndEncodeRecord makes one (the brand keeps an object literal from passing for one, and
 * isEncodedRecord knows the real ones), so `canonical` is always the encoding of `record`.
 */
export interface EncodedRecord<R> {
  readonly record: R;
  readonly canonical: string;
  readonly [encodedRecord]: true;
}

/** The EncodedRecords parseAndEncodeRecord made: an object shaped like one is not one. */
const madeHere = new WeakSet<object>();

/** Whether `value` is an EncodedRecord that parseAndEncodeRecord made. */
export function isEncodedRecord(value: unknown): value is EncodedRecord<unknown> {
  return typeof value === 'object' && value !== null && madeHere.has(value);
}

/** Parses `value` with a record schema, or throws INVALID_RECORD explaining what is wrong. */
export function parseRecord<S extends z.ZodMiniType>(schema: S, value: unknown, maxCanonicalBytes: number, what: string): z.output<S> {
  return parseAndEncodeRecord(schema, value, maxCanonicalBytes, what).record;
}

/**
 * parseRecord, keeping the canonical JSON it encoded to measure the record: parses and encodes,
 * for whatever goes on to hash or store the record. (It does not check that `value` arrived in
 * canonical form: that is replay's NOT_CANONICAL, on a log entry's stored text.)
 */
export function parseAndEncodeRecord<S extends z.ZodMiniType>(schema: S, value: unknown, maxCanonicalBytes: number, what: string): EncodedRecord<z.output<S>> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ProtocolError('INVALID_RECORD', `invalid ${what} record: ${describeIssues(result.error)}`);
  // An optional field given as undefined (possible from code, never from JSON) means absent. The
  // schema's output is a fresh object, kept as it is unless it has one (a copy costs every write).
  const parsed = result.data as object;
  const data = (Object.values(parsed).includes(undefined) ? Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) : parsed) as z.output<S>;
  const canonical = canonicalJson(data);
  const size = utf8(canonical).length;
  if (size > maxCanonicalBytes) {
    throw new ProtocolError('INVALID_RECORD', `${what} record is ${size} bytes of canonical JSON; the limit is ${maxCanonicalBytes}`);
  }
  // Frozen, so the pair cannot be taken apart and one half replaced.
  const encoded = Object.freeze({ record: data, canonical }) as EncodedRecord<z.output<S>>;
  madeHere.add(encoded);
  return encoded;
}

/**
 * `true` when a record's written-out type and its schema's output are the same type. The record
 * types are written out so that the SDK's published declarations need no zod (as object type
 * aliases, like zod's own, not interfaces: a record must stay assignable to JSON value types);
 * `type _ = Assert<SchemaMatches<…>>` next to each keeps the two from drifting apart.
 * @internal
 */
export type SchemaMatches<S extends z.ZodMiniType, T> = Same<T, z.output<S>>;
type Same<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
/** @internal */
export type Assert<T extends true> = T;
