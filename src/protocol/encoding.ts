/**
 * Byte encodings used on the wire (DESIGN.md §1).
 *
 * Decoders are strict on purpose: a value has exactly one accepted spelling, so a record can never
 * be re-encoded into different bytes that still verify. Everything here is pure and browser-safe.
 */

const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const STD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function reverseTable(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

const URL_TABLE = reverseTable(URL_ALPHABET);
const STD_TABLE = reverseTable(STD_ALPHABET);

const URL_CODES = charCodes(URL_ALPHABET);
const STD_CODES = charCodes(STD_ALPHABET);
const PAD = 0x3d; // '='
const asciiDecoder = new TextDecoder();

function charCodes(alphabet: string): Uint8Array {
  return Uint8Array.from(alphabet, (c) => c.charCodeAt(0));
}

/**
 * Writes the ASCII codes into bytes and decodes them once: several times faster than building the
 * string a character at a time (and no rope of small strings for the collector), browser-safe.
 */
function encode(bytes: Uint8Array, alphabet: Uint8Array, pad: boolean): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = alphabet[n >> 18]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    out[o++] = alphabet[(n >> 6) & 63]!;
    out[o++] = alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = alphabet[n >> 18]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    if (rest === 2) out[o++] = alphabet[(n >> 6) & 63]!;
    if (pad) while (o % 4 !== 0) out[o++] = PAD;
  }
  return asciiDecoder.decode(out.subarray(0, o));
}

/**
 * Decodes unpadded base64 text with the given table, or returns null. Rejects characters outside
 * the alphabet, impossible lengths (4n+1) and non-zero trailing bits, so that re-encoding the
 * result always gives back the input (RFC 4648 §3.5 "canonical encoding").
 */
function decodeUnpadded(text: string, table: Int16Array): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** base64url without padding (RFC 4648 §5), the encoding of keys, signatures and hashes in JSON. */
export function toBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_CODES, false);
}

/**
 * Strict base64url decoding: no padding, only the URL-safe alphabet, canonical trailing bits.
 * With `length`, a result of any other byte length is rejected too. Returns null on any failure.
 */
export function fromBase64Url(text: string, length?: number): Uint8Array | null {
  const bytes = decodeUnpadded(text, URL_TABLE);
  if (bytes === null || (length !== undefined && bytes.length !== length)) return null;
  return bytes;
}

/** Standard padded base64 (RFC 4648 §4), as C2SP signed notes use. */
export function toBase64(bytes: Uint8Array): string {
  return encode(bytes, STD_CODES, true);
}

/** Strict padded standard base64: the padding must be exactly what the length requires. */
export function fromBase64(text: string, length?: number): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = decodeUnpadded(text.slice(0, text.length - padding), STD_TABLE);
  if (bytes === null || (length !== undefined && bytes.length !== length)) return null;
  return bytes;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8, returning null for invalid sequences instead of substituting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
