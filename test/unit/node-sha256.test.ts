// Node's SHA-256 (src/node/node-sha256.ts), which the registry and the CLI install in place of
// @noble/hashes, must answer exactly as it does, and hand back plain Uint8Arrays of their own 32 bytes.
import { createHash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from '@jest/globals';
import { nodeSha256, useNodeSha256 } from '../../src/node/node-sha256.js';
import { shortSha256 } from '../../src/node/short-sha256.js';

/** n bytes of SHA-256(label ‖ i) repeated: reproducible inputs of any length. */
const input = (n: number) => {
  const block = createHash('sha256').update(`input ${n}`).digest();
  return Uint8Array.from({ length: n }, (_, i) => block[i % 32]! ^ (i >> 5));
};

describe('nodeSha256', () => {
  it('answers as @noble/hashes on inputs of every length up to two blocks and beyond', () => {
    for (const n of [...Array.from({ length: 140 }, (_, i) => i), 1000, 4096, 70_000]) {
      const data = input(n);
      expect([n, Buffer.from(nodeSha256(data)).toString('hex')]).toEqual([n, Buffer.from(nobleSha256(data)).toString('hex')]);
    }
  });

  it('hashes the bytes a view shows, not its whole buffer', () => {
    const whole = input(100);
    expect(nodeSha256(whole.subarray(10, 60))).toEqual(nobleSha256(whole.slice(10, 60)));
  });

  it('returns a plain Uint8Array of 32 bytes, whose slices are copies', () => {
    const digest = nodeSha256(input(5));
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
    expect(digest.length).toBe(32);
    const head = digest.slice(0, 4);
    head[0] = head[0]! ^ 0xff;
    expect(head[0]).not.toBe(digest[0]);
  });

  it('passes useSha256\'s known-answer test', () => {
    expect(() => useNodeSha256()).not.toThrow();
  });
});

describe('shortSha256', () => {
  const openssl = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const hex = (digest: Uint8Array) => Buffer.from(digest).toString('hex');

  it('gives the FIPS 180-2 answers (appendix B: one block, two blocks) and those of the empty and a 112-byte message', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(hex(shortSha256(text('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(shortSha256(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(hex(shortSha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const long = text('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu');
    expect(hex(shortSha256(long))).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
  });

  it('answers as OpenSSL on every length up to five blocks, for bytes of every value', () => {
    for (let n = 0; n <= 320; n++) {
      const data = input(n);
      const flipped = data.map((b) => b ^ 0xff);
      expect([n, hex(shortSha256(data)), hex(shortSha256(flipped))]).toEqual([n, openssl(data), openssl(flipped)]);
    }
  });

  it('hashes the bytes a view shows, starts afresh on each call, and returns a new plain Uint8Array each time', () => {
    const whole = input(200);
    const view = whole.subarray(7, 91);
    const first = shortSha256(view);
    shortSha256(input(130));
    const again = shortSha256(view);
    expect(hex(first)).toBe(openssl(whole.slice(7, 91)));
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype);
  });
});
