/**
 * Strict schemas for the protocol's building blocks (DESIGN.md §1). Every record schema is a
 * strict object: an unknown field, a missing field or a wrong type is a rejection.
 */
// zod/mini: the functional, tree-shakable form of zod. These schemas are part of the SDK and its
// browser bundles, where zod's method-chaining classes (and their error-message locales) would
// weigh more than all of the SDK's own code (docs/sdk.md, "Sizes").
import * as z from 'zod/mini';
import { fromBase64Url } from './encoding.js';
import { PEERS_ID_PATTERN } from './ids.js';
import { isValidEd25519PublicKey, isValidX25519PublicKey } from './keys.js';
import { parseTimestamp } from './time.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function bytesField(length: number, what: string, valid: (bytes: Uint8Array) => boolean = () => true) {
  return z.string().check(
    z.maxLength(Math.ceil((length * 4) / 3)),
    z.regex(BASE64URL, `${what} must be unpadded base64url`),
    z.refine((text) => {
      const bytes = fromBase64Url(text, length);
      return bytes !== null && valid(bytes);
    }, `not a valid ${what}`),
  );
}

export const ed25519KeySchema = bytesField(32, 'Ed25519 public key', isValidEd25519PublicKey);
export const x25519KeySchema = bytesField(32, 'X25519 public key', isValidX25519PublicKey);
export const signatureSchema = bytesField(64, 'signature');
export const hashSchema = bytesField(32, 'SHA-256 hash');
export const peersIdSchema = z.string().check(z.regex(PEERS_ID_PATTERN, 'not a Peers id (25 characters of [0-9a-z])'));
export const timestampSchema = z.string().check(
  z.maxLength(24),
  z.refine((text) => parseTimestamp(text) !== null, 'not an RFC 3339 UTC timestamp with milliseconds'),
);

/** C0 and C1 controls, and the line/paragraph separators: never part of a name or address. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Counts Unicode code points, not UTF-16 units (DESIGN.md §1). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** A human-readable name: 1..max code points, no control characters. */
export function displayNameSchema(max: number) {
  return z.string().check(
    z.refine((text) => {
      const length = codePointLength(text);
      return length >= 1 && length <= max;
    }, `must be 1 to ${max} characters`),
    z.refine((text) => !CONTROL.test(text), 'must not contain control characters'),
  );
}

export const statusSchema = z.enum(['active', 'revoked']);

export function distinct(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

/**
 * A short, readable account of why a value failed its schema, for problem details. Messages the
 * schemas set are always there; zod's own (a wrong type, say) are English where zod's classic
 * API is loaded (the server) and a generic "Invalid input" elsewhere (zod/mini loads no locale).
 */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'record'}: ${issue.message}`)
    .join('; ');
}
