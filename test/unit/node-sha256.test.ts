// Node's SHA-256 (src/node/node-sha256.ts), which the registry and the CLI install in place of
// @noble/hashes, must answer exactly as it does, and hand back plain Uint8Arrays of their own 32 bytes.
import { createHash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from '@jest/globals';
import { nodeSha256, useNodeSha256 } from '../../src/node/node-sha256.js';

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
