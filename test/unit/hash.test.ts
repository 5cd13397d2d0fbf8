import { afterEach, describe, expect, it } from '@jest/globals';
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../../src/protocol/encoding.js';
import { sha256, useSha256 } from '../../src/protocol/hash.js';
import { expectWith } from '../helpers/expect-with.js';

describe('sha256', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(toHex(sha256(utf8('')))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
});

describe('useSha256', () => {
  const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  afterEach(() => useSha256(nobleSha256));

  it('switches to a function that answers the known-answer test', () => {
    let calls = 0;
    useSha256((data) => {
      calls++;
      return nobleSha256(data);
    });
    const before = calls;
    expect(toHex(sha256(utf8('abc')))).toBe(abc);
    expect(calls).toBe(before + 1);
  });

  it('refuses, and keeps hashing as before, a function that is not SHA-256', () => {
    const wrong: Array<(data: Uint8Array) => Uint8Array> = [
      (data) => sha512(data), // 64 bytes
      (data) => sha512(data).slice(0, 32), // 32 bytes, the wrong ones
      (data) => nobleSha256(data).slice(0, 31),
      () => new Uint8Array(32),
      (data) => Array.from(nobleSha256(data)) as unknown as Uint8Array, // the right numbers, not bytes
    ];
    for (const hash of wrong) {
      expect(() => useSha256(hash)).toThrow(/does not compute SHA-256/);
      expect(toHex(sha256(utf8('abc')))).toBe(abc);
    }
  });

  it('refuses a function that answers "abc" but not two blocks of padding, a full block, or a long input', () => {
    // As node-sha256.ts splits its inputs: up to 128 bytes in JavaScript (one padded block, two, a
    // block then two), longer through OpenSSL. A function wrong on one of those ranges alone is refused.
    const wrongFrom = (from: number, to = Infinity) => (data: Uint8Array) => {
      const digest = nobleSha256(data);
      if (data.length >= from && data.length <= to) digest[0]! ^= 1;
      return digest;
    };
    for (const [from, to] of [[56, 63], [64, 128], [129, Infinity]] as const) {
      expectWith(() => useSha256(wrongFrom(from, to)), `wrong on ${from} to ${to} bytes`).toThrow(/does not compute SHA-256/);
      expect(toHex(sha256(utf8('abc')))).toBe(abc);
    }
  });
});
