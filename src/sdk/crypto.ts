/**
 * Ed25519 verification for the SDK: WebCrypto where the runtime has Ed25519 (Node 20, current
 * browsers), tweetnacl otherwise. No Node-only import here: this file is part of the browser build.
 *
 * Every back end applies the rule of protocol/ed25519.ts first (DESIGN.md §1: canonical R, R not
 * of small order, S < L, the key canonical and in the prime-order subgroup), so they all give the
 * same answer as the registry's OpenSSL verifier, and never throw on attacker input.
 */
import nacl from 'tweetnacl';
import { strictEd25519 } from '../protocol/ed25519.js';
import type { VerifySignature } from '../protocol/signing.js';

/**
 * Verification with tweetnacl: pure JavaScript, runs anywhere, and far slower than a native
 * verifier (`npm run bench:sdk` measures both). Synchronous, so the SDK's own synchronous checks (sealed messages, handshakes) use it too.
 */
export const tweetnaclVerify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean = strictEd25519((publicKey, message, signature) =>
  nacl.sign.detached.verify(message, signature, publicKey),
);

type Subtle = SubtleCrypto;

function subtle(): Subtle | null {
  return (globalThis.crypto as Crypto | undefined)?.subtle ?? null;
}

/** Verification with WebCrypto's Ed25519; keys are imported once and cached. */
export function webCryptoVerifier(crypto: Subtle): VerifySignature {
  const keys = new Map<string, Promise<CryptoKey>>();
  return strictEd25519(async (publicKey, message, signature) => {
    const id = String.fromCharCode(...publicKey);
    let key = keys.get(id);
    if (key === undefined) {
      key = crypto.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
      if (keys.size > 1000) keys.clear();
      keys.set(id, key);
    }
    try {
      return await crypto.verify({ name: 'Ed25519' }, await key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
    } catch {
      return false;
    }
  });
}

let detected: Promise<VerifySignature> | null = null;

/**
 * The fastest verifier this runtime offers: WebCrypto Ed25519 if present and working (checked once
 * with a known-good signature), else tweetnacl.
 */
export function defaultVerifier(): Promise<VerifySignature> {
  detected ??= (async () => {
    const s = subtle();
    if (s === null) return tweetnaclVerify;
    try {
      const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(1));
      const message = new Uint8Array([1, 2, 3]);
      const verify = webCryptoVerifier(s);
      const ok = await verify(pair.publicKey, message, nacl.sign.detached(message, pair.secretKey));
      const refused = !(await verify(pair.publicKey, new Uint8Array([1, 2, 4]), nacl.sign.detached(message, pair.secretKey)));
      return ok && refused ? verify : tweetnaclVerify;
    } catch {
      return tweetnaclVerify;
    }
  })();
  return detected;
}
