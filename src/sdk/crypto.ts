/**
 * Ed25519 verification for the SDK: WebCrypto where the runtime has Ed25519 (Node 20, current
 * browsers), tweetnacl otherwise. No Node-only import here: this file is part of the browser build.
 *
 * Every back end applies the rule of protocol/ed25519.ts first (DESIGN.md §1: canonical R, R not
 * of small order, S < L, the key canonical and in the prime-order subgroup), so they all give the
 * same answer as the registry's OpenSSL verifier, and never throw on attacker input.
 *
 * tweetnacl is imported only where WebCrypto cannot verify (tweetnacl-verify.ts, which nothing
 * here imports statically), so that a page that only looks keys up need not download it
 * (docs/sdk.md, "Size").
 */
import { strictEd25519 } from '../protocol/ed25519.js';
import { fromBase64Url } from '../protocol/encoding.js';
import type { VerifySignature } from '../protocol/signing.js';


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
 * RFC 8032 §7.1, TEST 2 (the message is the one byte 0x72), base64url: a known-good signature to
 * try a verifier on, and the seed that makes it, to try a signer on (keys.ts).
 */
export const RFC8032_TEST_2 = {
  seed: 'TM0Imyj_ltqdtsNG7BFOD1uKMZ81q6Yk2oz27U-4pvs',
  publicKey: 'PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw',
  message: new Uint8Array([0x72]),
  signature: 'kqAJqfDUyrhyDoILX2QlQKKye1QWUD-Ps3YiI-vbadoIWsHkPhWZbkWPNhPQ8R2MOHsurrQwKu6wDSkWErsMAA',
} as const;

/**
 * The fastest verifier this runtime offers: WebCrypto Ed25519 if present and working (checked once:
 * it must accept a known-good signature and refuse it for another message), else tweetnacl.
 */
export function defaultVerifier(): Promise<VerifySignature> {
  detected ??= (async () => {
    const s = subtle();
    if (s !== null) {
      try {
        const verify = webCryptoVerifier(s);
        const [publicKey, signature] = [fromBase64Url(RFC8032_TEST_2.publicKey, 32)!, fromBase64Url(RFC8032_TEST_2.signature, 64)!];
        const ok = await verify(publicKey, RFC8032_TEST_2.message, signature);
        const refused = !(await verify(publicKey, new Uint8Array([0x73]), signature));
        if (ok && refused) return verify;
      } catch {
        // No Ed25519 in this WebCrypto: fall back.
      }
    }
    return (await import('./tweetnacl-verify.js')).tweetnaclVerify;
  })();
  return detected;
}
