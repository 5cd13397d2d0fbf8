/**
 * `npm run bench:sdk`: how long the SDK takes to verify a lookup of a 10-record chain with its
 * inclusion proof and checkpoint — with Node's crypto (as the server verifies), with WebCrypto
 * (the SDK's default) and with the pure-JS tweetnacl fallback. A benchmark, not a test: it prints.
 */
import { noteKey } from '../../src/protocol/checkpoint.js';
import { RegistryClient, createIdentityRecord, createSuccessorRecord, generateIdentityKeys, generateSigningKeyPair, tweetnaclVerify, verifyLookupBundle, webCryptoVerifier } from '../../src/sdk/index.js';
import type { VerifySignature } from '../../src/protocol/signing.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { startTestRegistry } from '../helpers/registry.js';

const registry = await startTestRegistry();
try {
  const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
  // Some other entries first, so the proof has a realistic depth.
  for (let i = 0; i < 200; i++) await client.register(await createIdentityRecord(generateIdentityKeys()));
  const keys = generateIdentityKeys();
  let head = await createIdentityRecord(keys);
  await client.register(head);
  for (let i = 1; i < 10; i++) {
    head = await createSuccessorRecord({ previous: head, signingKey: generateSigningKeyPair(), signer: keys.rotation });
    await client.submit(head);
  }
  const bundle = await (await fetch(`${registry.url}/v1/users/${head.userId}`)).json();
  const key = noteKey(registry.config.log.origin, registry.service.logKey.noteKey.publicKey);

  const backends: Array<[string, VerifySignature, number]> = [
    ['Node crypto (OpenSSL)', nodeVerify, 300],
    ['WebCrypto Ed25519', webCryptoVerifier(globalThis.crypto.subtle), 300],
    ['tweetnacl (pure JS fallback)', tweetnaclVerify, 20],
  ];
  console.log(`verifying a lookup bundle: ${bundle.entries.length} records (${bundle.entries.length * 2} signatures + 1 checkpoint signature), proof of ${bundle.proof.hashes.length} hashes in a log of ${bundle.proof.size}\n`);
  console.log('backend                         ms per lookup   lookups/s');
  for (const [name, verify, runs] of backends) {
    for (let i = 0; i < 3; i++) await verifyLookupBundle(bundle, head.userId, key, verify); // warm up
    const started = performance.now();
    for (let i = 0; i < runs; i++) await verifyLookupBundle(bundle, head.userId, key, verify);
    const ms = (performance.now() - started) / runs;
    console.log(`${name.padEnd(32)}${ms.toFixed(2).padStart(13)}${Math.round(1000 / ms).toString().padStart(12)}`);
  }
} finally {
  await registry.close();
}
