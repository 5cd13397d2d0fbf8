/** SHA-256, synchronous and browser-safe (the protocol's only hash, DESIGN.md §1). */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

/**
 * What a replacement must answer before it is used: the SHA-256 digests of FIPS 180-2's test
 * messages, those of appendix B.1-B.3 as published there, and the 896-bit message of appendix C
 * (given there for SHA-512) with the SHA-256 digest published beside the others in the usual test
 * vector sets (https://www.di-mgt.com.au/sha_testvectors.html). Between them they reach each path
 * of node-sha256.ts: JavaScript up to 128 bytes, with one block of padding (3 bytes), two (56), and
 * a full block before one (112); and OpenSSL beyond (a million bytes). Made only when useSha256 runs,
 * so that a bundle which never replaces the hash (the lookup page's) leaves them out.
 */
const knownAnswers = (): ReadonlyArray<{ what: string; message: () => Uint8Array; digest: Uint8Array }> => [
  { what: '"abc"', message: () => ascii('abc'), digest: hexBytes('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad') },
  {
    what: 'the 56-byte "abcdbcde…"',
    message: () => ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    digest: hexBytes('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'),
  },
  {
    what: 'the 112-byte "abcdefghbcdefghi…"',
    message: () => ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
    digest: hexBytes('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1'),
  },
  // About 1 ms through OpenSSL, once a process.
  { what: 'a million "a"', message: () => new Uint8Array(1_000_000).fill(0x61), digest: hexBytes('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0') },
];

let implementation: (data: Uint8Array) => Uint8Array = nobleSha256;

export function sha256(data: Uint8Array): Uint8Array {
  return implementation(data);
}

/**
 * Makes sha256 run `hash`, which must compute SHA-256 and return a new Uint8Array of its 32 bytes
 * (src/node/node-sha256.ts: Node's OpenSSL, measured 1.5 times as fast as @noble/hashes on a 65-byte
 * Merkle node and 5 times on a 700-byte record, and for inputs of up to 128 bytes a lean JavaScript
 * SHA-256 faster still — a write hashes its record, its leaf, a path of the key map and the tree's
 * new nodes). Process-wide, like useEd25519KeyCheck; browsers and the SDK
 * keep @noble/hashes. Throws, leaving sha256 as it was, unless `hash` answers each known-answer
 * test (knownAnswers) with the right 32-byte Uint8Array — every record, leaf and map node is
 * hashed with it.
 */
export function useSha256(hash: (data: Uint8Array) => Uint8Array): void {
  for (const { what, message, digest: expected } of knownAnswers()) {
    const digest: unknown = hash(message());
    if (!(digest instanceof Uint8Array) || digest.length !== 32 || !digest.every((byte, i) => byte === expected[i])) {
      throw new Error(`useSha256: the function does not compute SHA-256 (its digest of ${what} is not the published answer)`);
    }
  }
  implementation = hash;
}
