// The test environment: Jest's Node environment, plus a way for the shims in test/jest/native/ to
// have a package loaded by Node itself, outside the sandbox (and so once per worker, at Node's speed).
const { TestEnvironment } = require('jest-environment-node');
const { protectProperties } = require('jest-util');

/**
 * Only these: a module loaded outside the sandbox is shared by every test file of the worker, so
 * it must keep no state a test could leave behind, and must not tell the sandbox's objects from
 * Node's (`instanceof Promise` on a value the application returns, for one: prom-client and
 * express-rate-limit do that, and stay inside).
 */
const NATIVE = new Set([
  'tweetnacl',
  './native/yaml-parse-once.cjs',
  'ajv',
  'ajv/dist/2020.js',
  'ajv-formats',
  'supertest',
  'express',
  'helmet',
  'ioredis',
  'pg',
  'pino',
  '@noble/curves/ed25519.js',
  '@noble/hashes/sha2.js',
  '@noble/hashes/hkdf.js',
  '@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs',
]);

/**
 * Express's router warns, once per worker, that a handler returned a Promise that is "not native":
 * the sandbox's own Promise, which it then treats exactly as a native one. Only that noise is
 * silenced: router's deprecations, while Express is loaded.
 */
function requireQuietly(id) {
  if (id !== 'express') return require(id);
  const before = process.env.NO_DEPRECATION;
  process.env.NO_DEPRECATION = [before, 'router'].filter(Boolean).join(',');
  try {
    return require(id);
  } finally {
    if (before === undefined) delete process.env.NO_DEPRECATION;
    else process.env.NO_DEPRECATION = before;
  }
}

class PeerkeysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.peerkeysLoadNative = (id) => {
      if (!NATIVE.has(id)) throw new Error(`${id} is not loaded outside the sandbox`);
      const loaded = requireQuietly(id);
      // Jest 30 clears what tests left on globals between files; this module outlives the file.
      protectProperties(loaded);
      return loaded;
    };
  }
}

module.exports = PeerkeysEnvironment;
