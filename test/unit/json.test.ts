import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import { JsonParseError, MAX_JSON_DEPTH, canonicalJson, isJsonObject, parseJson, type JsonValue } from '../../src/protocol/json.js';

/** The kind of JsonParseError that parsing `text` throws, or 'ok'. */
function outcome(text: string, maxDepth?: number): 'ok' | 'syntax' | 'value' {
  try {
    parseJson(text, maxDepth);
    return 'ok';
  } catch (error) {
    if (!(error instanceof JsonParseError)) throw error;
    return error.kind;
  }
}

/** Protocol JSON: safe integers (never -0), any well-formed strings, booleans, null, arrays, objects. */
const protocolJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((n) => (n === 0 ? 0 : n)),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

describe('parseJson: what it accepts', () => {
  it('parses JSON.stringify output back to the same value', () => {
    fc.assert(
      fc.property(protocolJson, (value) => {
        expect(parseJson(JSON.stringify(value))).toEqual(value);
        expect(parseJson(JSON.stringify(value, null, 2))).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on protocol JSON', () => {
    fc.assert(
      fc.property(protocolJson, (value) => {
        const text = JSON.stringify(value, null, '\t');
        expect(parseJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('parses scalars, escapes and surrounding whitespace', () => {
    expect(parseJson(' \t\r\n 42 \n')).toBe(42);
    expect(parseJson('-17')).toBe(-17);
    expect(parseJson('0')).toBe(0);
    expect(parseJson('true')).toBe(true);
    expect(parseJson('false')).toBe(false);
    expect(parseJson('null')).toBeNull();
    expect(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"')).toBe('"\\/\b\f\n\r\tAé');
    expect(parseJson('"\\ud83d\\ude00"')).toBe('😀');
    expect(parseJson('"😀"')).toBe('😀');
    expect(parseJson('[]')).toEqual([]);
    expect(parseJson('{}')).toEqual({});
  });

  it('accepts the largest and smallest safe integers', () => {
    expect(parseJson('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseJson('-9007199254740991')).toBe(Number.MIN_SAFE_INTEGER);
  });

  it('treats keys that differ only in Unicode normalisation as different keys', () => {
    // I-JSON compares keys as code unit sequences: "é" (U+00E9) and "e" + U+0301 are not duplicates.
    expect(parseJson('{"\\u00e9":1,"e\\u0301":2}')).toEqual({ 'é': 1, 'e\u0301': 2 });
  });

  it(`accepts nesting up to MAX_JSON_DEPTH (${MAX_JSON_DEPTH}) levels`, () => {
    expect(outcome(nested(MAX_JSON_DEPTH, '[', ']'))).toBe('ok');
    expect(outcome('{"a":'.repeat(MAX_JSON_DEPTH) + '1' + '}'.repeat(MAX_JSON_DEPTH))).toBe('ok');
    expect(outcome(nested(5, '[', ']'), 5)).toBe('ok');
  });
});

describe('parseJson: syntax errors', () => {
  const cases: [string, string][] = [
    ['empty input', ''],
    ['whitespace only', '  \n'],
    ['duplicate keys', '{"a":1,"a":2}'],
    ['duplicate keys spelled with \\u escapes', '{"a":1,"\\u0061":2}'],
    ['duplicate keys spelled with different escapes', '{"\\u00e9":1,"é":2}'],
    ['duplicate keys in a nested object', '{"x":[{"b":1,"b":1}]}'],
    ['duplicate "__proto__" keys', '{"__proto__":1,"__proto__":2}'],
    ['trailing garbage after a value', '{"a":1}x'],
    ['two values', '1 2'],
    ['two objects', '{}{}'],
    ['a trailing comma in an object', '{"a":1,}'],
    ['a trailing comma in an array', '[1,]'],
    ['a leading comma', '[,1]'],
    ['single-quoted strings', "{'a':1}"],
    ['unquoted keys', '{a:1}'],
    ['a missing colon', '{"a" 1}'],
    ['a missing comma', '[1 2]'],
    ['a leading zero', '01'],
    ['a leading zero in an array', '[00]'],
    ['a leading plus', '+1'],
    ['a bare fraction', '.5'],
    ['a dangling decimal point', '1.'],
    ['a dangling exponent', '1e'],
    ['hex', '0x10'],
    ['a lone minus', '-'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['a line comment', '// c\n1'],
    ['a trailing line comment', '1 // c'],
    ['a block comment', '/* c */ 1'],
    ['a comment inside an object', '{"a":1 /* c */}'],
    ['a truncated literal', 'tru'],
    ['a capitalised literal', 'True'],
    ['an unterminated string', '"abc'],
    ['a lone quote', '"'],
    ['an unterminated escape', '"abc\\'],
    ['an unknown escape', '"\\x41"'],
    ['a short \\u escape', '"\\u004"'],
    ['a non-hex \\u escape', '"\\u00g1"'],
    ['a raw newline in a string', '"a\nb"'],
    ['a raw tab in a string', '"a\tb"'],
    ['a raw NUL in a string', '"a\u0000b"'],
    ['an unclosed array', '[1'],
    ['an unclosed object', '{"a":1'],
    ['a non-JSON whitespace (no-break space)', '\u00a01'],
    ['a vertical tab', '\u000b1'],
    ['a byte order mark', '\ufeff{}'],
  ];
  for (const [what, text] of cases) {
    it(`rejects ${what}`, () => expect(outcome(text)).toBe('syntax'));
  }

  it(`rejects nesting deeper than MAX_JSON_DEPTH (${MAX_JSON_DEPTH})`, () => {
    expect(outcome(nested(MAX_JSON_DEPTH + 1, '[', ']'))).toBe('syntax');
    expect(outcome('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1))).toBe('syntax');
    expect(outcome('[{"a":'.repeat(20) + '1' + '}]'.repeat(20))).toBe('syntax'); // 40 levels, mixed
    expect(outcome(nested(6, '[', ']'), 5)).toBe('syntax');
  });

  it('rejects not-JSON that starts like a disallowed value, whichever kind it reports', () => {
    // The parser stops at the first problem: in '-01' that is the -0 (kind 'value'), before the
    // stray digit is seen. Either way the text is refused.
    for (const text of ['-01', '1.5x', '[-0', '{"a":1.5']) expect(outcome(text)).not.toBe('ok');
  });

  it('rejects very deep nesting without overflowing the stack', () => {
    expect(outcome(nested(100_000, '[', ']'))).toBe('syntax');
  });

  it('throws a JsonParseError carrying the position of the problem', () => {
    try {
      parseJson('[1,2,}');
      throw new Error('expected this line not to be reached');
    } catch (error) {
      expect(error).toBeInstanceOf(JsonParseError);
      expect((error as JsonParseError).kind).toBe('syntax');
      expect((error as JsonParseError).position).toBe(5);
    }
  });
});

describe('parseJson: values the protocol does not allow', () => {
  const cases: [string, string][] = [
    ['a fraction', '1.5'],
    ['an exponent', '1e3'],
    ['a capital exponent', '1E3'],
    ['a signed exponent', '10e-1'],
    ['an integer written with ".0"', '1.0'],
    ['a huge exponent (JSON.parse gives Infinity)', '1e400'],
    ['a float inside an object', '{"seq":0.5}'],
    ['the first unsafe integer', '9007199254740992'],
    ['a negative unsafe integer', '-9007199254740992'],
    ['a very long integer', '123456789012345678901234567890'],
    ['negative zero', '-0'],
    ['negative zero inside an array', '[0,-0]'],
    ['negative zero with a fraction', '-0.0'],
    ['an escaped lone high surrogate', '"\\ud800"'],
    ['an escaped lone low surrogate', '"\\udc00"'],
    ['escaped surrogates in the wrong order', '"\\ude00\\ud83d"'],
    ['a high surrogate escape followed by a letter', '"\\ud83dx"'],
    ['a raw lone surrogate', '"a\ud800b"'],
    ['a lone surrogate in a key', '{"\\ud800":1}'],
  ];
  for (const [what, text] of cases) {
    it(`rejects ${what}`, () => expect(outcome(text)).toBe('value'));
  }
});

describe('parseJson: "__proto__"', () => {
  it('keeps a "__proto__" key as an own, enumerable property', () => {
    const value = parseJson('{"__proto__": 1}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(1);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.enumerable).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('does not change the prototype of the object, nor pollute Object.prototype', () => {
    const value = parseJson('{"__proto__": {"polluted": true}, "a": {"__proto__": {"polluted": true}}}') as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(value['a'])).toBe(Object.prototype);
    expect('polluted' in value).toBe(false);
    expect('polluted' in value['a']!).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('round-trips through canonicalJson', () => {
    expect(canonicalJson(parseJson('{"b":2,"__proto__":1}'))).toBe('{"__proto__":1,"b":2}');
  });

  it('makes keys that Object.prototype has (constructor, toString, …) own, enumerable data properties, in the order given', () => {
    const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', '__lookupSetter__', 'z', '0'];
    const value = parseJson(`{${names.map((name, i) => `"${name}":${i}`).join(',')}}`) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(Object.keys(JSON.parse(`{${names.map((name, i) => `"${name}":${i}`).join(',')}}`)));
    names.forEach((name, i) => expect([name, Object.getOwnPropertyDescriptor(value, name)]).toEqual([name, { value: i, enumerable: true, writable: true, configurable: true }]));
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(typeof Object.prototype.toString).toBe('function');
  });
});

describe('isJsonObject', () => {
  it('is true only for objects that are not arrays or null', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject('{}')).toBe(false);
  });
});

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units (the RFC 8785 §3.2.3 example)', () => {
    const input = parseJson(`{
      "\\u20ac": "Euro Sign",
      "\\r": "Carriage Return",
      "\\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\\ud83d\\ude00": "Emoji: Grinning Face",
      "\\u0080": "Control",
      "\\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    // U+1F600 sorts by its first code unit 0xD83D, so before U+FB33 (code point order would put it last).
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('sorts "é" before "€" and "😀" and after "1"', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3, '\ud83d\ude00': 4, '\u00e9': 5 })).toBe('{"\\r":2,"1":3,"é":5,"€":1,"😀":4}');
  });

  it('serialises strings as RFC 8785 §3.2.2.2 says (its example)', () => {
    const input = parseJson('{"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/"}');
    expect(canonicalJson(input)).toBe('{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts nested objects, keeps array order and removes whitespace', () => {
    expect(canonicalJson(parseJson('{ "b" : [ 3 , { "z" : 1 , "a" : null } ] , "a" : true }'))).toBe('{"a":true,"b":[3,{"a":null,"z":1}]}');
  });

  it('is a fixed point: parsing canonical JSON and re-encoding it changes nothing', () => {
    fc.assert(
      fc.property(protocolJson, (value) => {
        const canonical = canonicalJson(value);
        expect(canonicalJson(parseJson(canonical))).toBe(canonical);
        expect(parseJson(canonical)).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.integer(), { maxKeys: 8 }), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });

  it('throws on numbers that are not safe integers', () => {
    for (const value of [1.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53, { a: 0.1 }, [1, 2.5]]) {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    }
  });

  it('throws on undefined and other non-JSON values, top level or nested', () => {
    for (const value of [undefined, { a: undefined }, [undefined], () => 1, 1n, Symbol('s'), { a: { b: 1n } }]) {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    }
  });

  it('throws on nesting far deeper than MAX_JSON_DEPTH', () => {
    let deep: JsonValue = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 2; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(TypeError);
  });
});
