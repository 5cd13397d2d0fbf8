// defaultVerifier() where WebCrypto cannot verify Ed25519 (an older browser): it falls back to
// tweetnacl, loaded then, and that verifier applies the same rule. Its own file: the verifier is
// chosen once per module instance, here with WebCrypto's Ed25519 taken away before the first call.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { defaultVerifier } from '../../src/sdk/crypto.js';
import { tweetnaclVerify } from '../../src/sdk/tweetnacl-verify.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;

beforeAll(() => {
  const subtle = globalThis.crypto.subtle;
  // A WebCrypto without Ed25519, as browsers had it before 2025: importKey refuses the algorithm.
  const withoutEd25519 = new Proxy(subtle, {
    get: (target, name) =>
      name === 'importKey' ? () => Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError')) : (Reflect.get(target, name, target) as unknown),
  });
  Object.defineProperty(globalThis, 'crypto', { configurable: true, enumerable: true, get: () => ({ subtle: withoutEd25519 }) });
});
afterAll(() => {
  Object.defineProperty(globalThis, 'crypto', original);
});

it('falls back to the tweetnacl verifier, which accepts every valid vector and refuses every invalid one', async () => {
  const verify = await defaultVerifier();
  expect(verify).toBe(tweetnaclVerify);
  const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
  const { valid, invalid } = loadVectors();
  for (const c of [...valid.cases, ...invalid.cases]) {
    expect({ id: c.id, ok: await verify(hex(c.publicKey), hex(c.message), hex(c.signature)) }).toEqual({ id: c.id, ok: c.defect === null });
  }
});
