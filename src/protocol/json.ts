/**
 * JSON as the protocol allows it (DESIGN.md §1): a strict parser and the one canonical encoder.
 *
 * `JSON.parse` silently keeps the last of duplicate keys, accepts lone surrogates and turns
 * `1e400` into Infinity — all ways for two parsers to disagree about what was signed. The parser
 * here rejects those, and the only bytes ever signed or hashed come from `canonicalJson`.
 */
import canonicalize from 'canonicalize';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Nesting deeper than this is refused; no record needs more than 4 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * `syntax`: not JSON (or duplicate keys, or too deep) — the wire contract's MALFORMED.
 * `value`: valid JSON whose values the protocol does not allow (non-integers, unsafe integers,
 * -0, lone surrogates) — a schema violation, INVALID_RECORD.
 */
export class JsonParseError extends Error {
  constructor(
    readonly kind: 'syntax' | 'value',
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'JsonParseError';
  }
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** Parses JSON text strictly (RFC 8259 plus I-JSON, RFC 7493, and the protocol's number rules). */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonValue {
  let pos = 0;
  // A disallowed value is reported only once the whole text is known to be JSON, so that text
  // like `-01` or `{"a":1.5` is a syntax error (MALFORMED), not a value error (INVALID_RECORD).
  let valueError: JsonParseError | null = null;

  const fail = (kind: 'syntax', message: string): never => {
    throw new JsonParseError(kind, message, pos);
  };
  const disallow = (message: string) => {
    valueError ??= new JsonParseError('value', message, pos);
  };
  const skipWhitespace = () => {
    while (pos < text.length && WHITESPACE.has(text.charCodeAt(pos))) pos++;
  };
  const expect = (literal: string) => {
    if (!text.startsWith(literal, pos)) fail('syntax', `expected ${literal}`);
    pos += literal.length;
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('syntax', 'unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) fail('syntax', 'control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const escape = text[pos + 1];
      if (escape === undefined) fail('syntax', 'unterminated escape');
      if (escape === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('syntax', 'bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 6;
      } else {
        const simple = SIMPLE_ESCAPES[escape!];
        if (simple === undefined) fail('syntax', 'bad escape');
        out += simple;
        pos += 2;
      }
      start = pos;
    }
    out += text.slice(start, pos);
    pos++; // closing quote
    if (!out.isWellFormed()) disallow('lone surrogate in string');
    return out;
  };

  const parseNumber = (): number => {
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match === null) return fail('syntax', 'unexpected character');
    pos += match[0].length;
    const value = Number(match[0]);
    if (match[1] !== undefined || match[2] !== undefined) disallow('only integers are allowed');
    else if (!Number.isSafeInteger(value) || Object.is(value, -0)) disallow('integer out of the safe range');
    return value;
  };

  const parseValue = (depth: number): JsonValue => {
    skipWhitespace();
    const c = text[pos];
    switch (c) {
      case '{':
        return parseObject(depth + 1);
      case '[':
        return parseArray(depth + 1);
      case '"':
        return parseString();
      case 't':
        expect('true');
        return true;
      case 'f':
        expect('false');
        return false;
      case 'n':
        expect('null');
        return null;
      case undefined:
        return fail('syntax', 'unexpected end of input');
      default:
        return parseNumber();
    }
  };

  const parseObject = (depth: number): JsonObject => {
    if (depth > maxDepth) fail('syntax', 'nested too deep');
    pos++;
    const object: JsonObject = {};
    const seen = new Set<string>();
    skipWhitespace();
    if (text[pos] === '}') {
      pos++;
      return object;
    }
    for (;;) {
      skipWhitespace();
      if (text[pos] !== '"') fail('syntax', 'expected a key');
      const key = parseString();
      if (seen.has(key)) fail('syntax', 'duplicate key');
      seen.add(key);
      skipWhitespace();
      expect(':');
      // "__proto__" by defineProperty: assigned, it would set the prototype instead of being an own
      // property. Every other key by assignment: __proto__ is Object.prototype's only setter, so
      // assignment makes the same own data property, and the parse takes about a third less time
      // (no descriptor object per key).
      if (key === '__proto__') Object.defineProperty(object, key, { value: parseValue(depth), enumerable: true, writable: true, configurable: true });
      else object[key] = parseValue(depth);
      skipWhitespace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      expect('}');
      return object;
    }
  };

  const parseArray = (depth: number): JsonValue[] => {
    if (depth > maxDepth) fail('syntax', 'nested too deep');
    pos++;
    const array: JsonValue[] = [];
    skipWhitespace();
    if (text[pos] === ']') {
      pos++;
      return array;
    }
    for (;;) {
      array.push(parseValue(depth));
      skipWhitespace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      expect(']');
      return array;
    }
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos !== text.length) fail('syntax', 'trailing characters');
  if (valueError !== null) throw valueError;
  return value;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 8785 (JCS) canonical form. The values must already be protocol JSON (as `parseJson` or a
 * schema produced them); anything else — a float, an unsafe integer, undefined — is a programming
 * error and throws rather than being serialised into bytes someone might sign.
 */
export function canonicalJson(value: unknown): string {
  assertProtocolJson(value, 0);
  return canonicalize(value) as string;
}

function assertProtocolJson(value: unknown, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw new TypeError('canonicalJson: nested too deep');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw new TypeError('canonicalJson: only safe integers are allowed');
      return;
    case 'object':
      if (value === null) return;
      if (Array.isArray(value)) {
        for (const item of value) assertProtocolJson(item, depth + 1);
        return;
      }
      // Only plain objects: a Date, Map or Uint8Array would serialise to something else entirely.
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new TypeError('canonicalJson: only plain objects are allowed');
      }
      for (const item of Object.values(value)) assertProtocolJson(item, depth + 1);
      return;
    default:
      throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
  }
}
