// @peerkeys/sdk/lookup is a part of the SDK, not a second one: each of its exports is the main
// entry's own, so an object made with one passes `instanceof` checks written with the other.
import { expect, it } from '@jest/globals';
import * as sdk from '../../src/sdk/index.js';
import * as lookup from '../../src/sdk/lookup.js';

it('every export of the lookup entry is the same object in the main entry', () => {
  const names = Object.keys(lookup);
  expect(names.length).toBeGreaterThan(20);
  expect(names.filter((name) => (sdk as Record<string, unknown>)[name] !== (lookup as Record<string, unknown>)[name])).toEqual([]);
});

it('the lookup entry has the client, the stores, the verifiers and the errors, and no signing or sealing', () => {
  expect(Object.keys(lookup)).toEqual(expect.arrayContaining(['RegistryClient', 'MemoryStore', 'LocalStorageStore', 'defaultVerifier', 'webCryptoVerifier', 'VerificationError', 'RegistryError', 'verifyLookupBundle', 'monitor']));
  expect(Object.keys(lookup).filter((name) => /^(generate|create|sign|seal|open|connect|accept|tweetnacl)/i.test(name))).toEqual([]);
});
