// The test environment: Jest's Node environment, plus a way for the shims in test/jest/native/ to
// have a package loaded by Node itself, outside the sandbox (and so once per worker, at Node's speed).
const { TestEnvironment } = require('jest-environment-node');
const { protectProperties } = require('jest-util');

/** Only these: a module loaded outside the sandbox is shared by every test file of the worker. */
const NATIVE = new Set(['tweetnacl', './native/yaml-parse-once.cjs', 'ajv', 'ajv/dist/2020.js', 'ajv-formats', 'supertest', 'express', 'ioredis', '@noble/curves/ed25519.js', '@noble/hashes/sha2.js', '@noble/hashes/hkdf.js']);

class PeerkeysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.peerkeysLoadNative = (id) => {
      if (!NATIVE.has(id)) throw new Error(`${id} is not loaded outside the sandbox`);
      const loaded = require(id);
      // Jest 30 clears what tests left on globals between files; this module outlives the file.
      protectProperties(loaded);
      return loaded;
    };
  }
}

module.exports = PeerkeysEnvironment;
