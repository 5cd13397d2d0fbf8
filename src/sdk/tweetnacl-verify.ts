/**
 * Verification with tweetnacl: pure JavaScript, runs anywhere, about 200 signatures a second.
 * Synchronous, so the SDK's own synchronous checks (sealed messages, handshakes) use it too. Its own
 * module so that code needing only `defaultVerifier` loads tweetnacl only where WebCrypto cannot
 * verify Ed25519 (crypto.ts).
 */
import nacl from 'tweetnacl';
import { strictEd25519 } from '../protocol/ed25519.js';

// Pure: a bundler may drop the module where nothing calls tweetnaclVerify.
export const tweetnaclVerify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean = /* @__PURE__ */ strictEd25519((publicKey, message, signature) =>
  nacl.sign.detached.verify(message, signature, publicKey),
);
