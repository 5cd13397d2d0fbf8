import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import {
  bytesEqual,
  concatBytes,
  fromBase64,
  fromBase64Url,
  fromUtf8,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from '../../src/protocol/encoding.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('toBase64Url', () => {
  it('encodes the RFC 4648 §10 test vectors without padding', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [text, encoded] of vectors) expect(toBase64Url(utf8(text))).toBe(encoded);
  });

  it('uses "-" and "_" where standard base64 has "+" and "/"', () => {
    expect(toBase64Url(bytes(0xfb, 0xff, 0xbf))).toBe('-_-_');
  });

  it('agrees with Node Buffer base64url for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(toBase64Url(data)).toBe(Buffer.from(data).toString('base64url'));
      }),
    );
  });
});

describe('fromBase64Url', () => {
  it('round-trips random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(fromBase64Url(toBase64Url(data))).toEqual(data);
        expect(fromBase64Url(toBase64Url(data), data.length)).toEqual(data);
      }),
    );
  });

  it('only accepts text that re-encodes to itself (one spelling per value)', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 12 }), (chars) => {
        const text = chars.join('');
        const decoded = fromBase64Url(text);
        if (decoded !== null) expect(toBase64Url(decoded)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts the empty string as zero bytes', () => {
    expect(fromBase64Url('')).toEqual(new Uint8Array(0));
  });

  it('rejects padding', () => {
    expect(fromBase64Url('Zg==')).toBeNull();
    expect(fromBase64Url('Zm8=')).toBeNull();
    expect(fromBase64Url('Zg')).toEqual(utf8('f'));
  });

  it('rejects the standard alphabet characters "+" and "/"', () => {
    expect(fromBase64Url('-_-_')).toEqual(bytes(0xfb, 0xff, 0xbf));
    expect(fromBase64Url('+/+/')).toBeNull();
    expect(fromBase64Url('-_+_')).toBeNull();
    expect(fromBase64Url('-_-/')).toBeNull();
  });

  it('rejects characters outside the alphabet, ASCII or not', () => {
    for (const text of ['AA A', 'AA\nA', 'AA.A', 'AA*A', ' AAA', 'AAA ', 'AAé', 'AA\u0141A', 'AA\u0000A', 'AA\uff21A']) {
      expect(fromBase64Url(text)).toBeNull();
    }
  });

  it('rejects lengths of the form 4n+1, which no byte string has', () => {
    for (const text of ['A', 'AAAAA', 'AAAAAAAAA']) expect(fromBase64Url(text)).toBeNull();
  });

  it('rejects non-zero trailing bits', () => {
    // One byte is 8 bits in 2 characters (12 bits): the last 4 bits must be zero.
    expect(fromBase64Url('AA')).toEqual(bytes(0));
    for (const text of ['AB', 'AC', 'AE', 'AI', 'AP']) expect(fromBase64Url(text)).toBeNull();
    expect(fromBase64Url('AQ')).toEqual(bytes(0x01)); // 'Q' = 16 = 0b010000: low 4 bits clear
    // Two bytes are 16 bits in 3 characters (18 bits): the last 2 bits must be zero.
    expect(fromBase64Url('AAA')).toEqual(bytes(0, 0));
    expect(fromBase64Url('AAE')).toEqual(bytes(0, 1)); // 'E' = 4 = 0b000100: low 2 bits clear
    for (const text of ['AAB', 'AAC', 'AAD', 'AAF']) expect(fromBase64Url(text)).toBeNull();
  });

  it('rejects a wrong byte length when one is required', () => {
    const key = new Uint8Array(32).fill(7);
    expect(fromBase64Url(toBase64Url(key), 32)).toEqual(key);
    expect(fromBase64Url(toBase64Url(key), 31)).toBeNull();
    expect(fromBase64Url(toBase64Url(key), 33)).toBeNull();
    expect(fromBase64Url(toBase64Url(key.subarray(1)), 32)).toBeNull();
    expect(fromBase64Url(toBase64Url(new Uint8Array(33)), 32)).toBeNull();
    expect(fromBase64Url('', 32)).toBeNull();
    expect(fromBase64Url('', 0)).toEqual(new Uint8Array(0));
  });
});

describe('toBase64 (standard, padded)', () => {
  it('encodes the RFC 4648 §10 test vectors with padding', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [text, encoded] of vectors) expect(toBase64(utf8(text))).toBe(encoded);
  });

  it('agrees with Node Buffer base64 for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(toBase64(data)).toBe(Buffer.from(data).toString('base64'));
      }),
    );
  });
});

describe('fromBase64 (standard, padded)', () => {
  it('round-trips random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(fromBase64(toBase64(data))).toEqual(data);
        expect(fromBase64(toBase64(data), data.length)).toEqual(data);
      }),
    );
  });

  it('only accepts text that re-encodes to itself', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ '.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 12 }), (chars) => {
        const text = chars.join('');
        const decoded = fromBase64(text);
        if (decoded !== null) expect(toBase64(decoded)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('uses "+" and "/" and rejects the URL-safe "-" and "_"', () => {
    expect(fromBase64('+/+/')).toEqual(bytes(0xfb, 0xff, 0xbf));
    expect(fromBase64('-_-_')).toBeNull();
  });

  it('requires exactly the padding the length needs', () => {
    expect(fromBase64('Zg==')).toEqual(utf8('f'));
    expect(fromBase64('Zm8=')).toEqual(utf8('fo'));
    expect(fromBase64('Zm9v')).toEqual(utf8('foo'));
    // missing padding
    for (const text of ['Zg', 'Zg=', 'Zm8', 'Zm9vYg', 'Zm9vYmE']) expect(fromBase64(text)).toBeNull();
    // extra or misplaced padding
    for (const text of ['Zg===', 'Zm8==', 'Zm9v====', 'Zm9v=', 'Z===', '====', '=Zg=', 'Zg==Zg==', 'Z=g=']) {
      expect(fromBase64(text)).toBeNull();
    }
  });

  it('rejects non-zero trailing bits', () => {
    expect(fromBase64('AA==')).toEqual(bytes(0));
    expect(fromBase64('AB==')).toBeNull();
    expect(fromBase64('AAA=')).toEqual(bytes(0, 0));
    expect(fromBase64('AAB=')).toBeNull();
  });

  it('rejects a wrong byte length when one is required', () => {
    expect(fromBase64('Zm9v', 3)).toEqual(utf8('foo'));
    expect(fromBase64('Zm9v', 2)).toBeNull();
    expect(fromBase64('Zm9v', 4)).toBeNull();
  });
});

describe('utf8 and fromUtf8', () => {
  it('round-trips any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(fromUtf8(utf8(text))).toBe(text);
      }),
    );
  });

  it('encodes code points as UTF-8', () => {
    expect(utf8('é€😀')).toEqual(bytes(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
  });

  it('rejects invalid UTF-8 instead of substituting U+FFFD', () => {
    const invalid = [
      bytes(0xff), // never valid
      bytes(0x80), // lone continuation byte
      bytes(0xc0, 0x80), // overlong NUL
      bytes(0xe0, 0x80, 0xaf), // overlong '/'
      bytes(0xe2, 0x82), // truncated 3-byte sequence
      bytes(0xed, 0xa0, 0x80), // encoded surrogate U+D800
      bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
      bytes(0x41, 0xc3), // truncated at the end
    ];
    for (const input of invalid) expect(fromUtf8(input)).toBeNull();
  });

  it('keeps a leading byte order mark rather than silently dropping it', () => {
    expect(fromUtf8(bytes(0xef, 0xbb, 0xbf, 0x41))).toBe('\ufeffA');
  });
});

describe('concatBytes, bytesEqual and toHex', () => {
  it('concatenates in order', () => {
    expect(concatBytes(bytes(1, 2), bytes(), bytes(3))).toEqual(bytes(1, 2, 3));
    expect(concatBytes()).toEqual(bytes());
  });

  it('compares contents and lengths', () => {
    expect(bytesEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true);
    expect(bytesEqual(bytes(1, 2, 3), bytes(1, 2, 4))).toBe(false);
    expect(bytesEqual(bytes(1, 2), bytes(1, 2, 0))).toBe(false);
    expect(bytesEqual(bytes(), bytes())).toBe(true);
  });

  it('writes lowercase, zero-padded hex', () => {
    expect(toHex(bytes(0, 1, 0xab, 0xff))).toBe('0001abff');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (data) => {
        expect(toHex(data)).toBe(Buffer.from(data).toString('hex'));
      }),
    );
  });
});
