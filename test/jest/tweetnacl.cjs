// `import nacl from 'tweetnacl'` in tests and sources, under Jest: tweetnacl as Node itself loads
// it, outside Jest's sandbox, once per worker (test/jest/environment.cjs). Inside the sandbox every
// global its field arithmetic touches goes through the vm context's interceptors, and its Ed25519
// ran 2 to 15 times slower, which made the signature-heavy suites the slowest of all.
//
// It is the same code. Its Uint8Arrays are the sandbox's (Jest hands the sandbox Node's own
// Uint8Array); the errors it throws are rethrown as the sandbox's own Error or TypeError, so
// `instanceof` checks in the code under test see what they would see in production.
const native = globalThis.peerkeysLoadNative('tweetnacl');

function sandboxError(error) {
  if (error === null || typeof error !== 'object') return error;
  const Kind = typeof globalThis[error.constructor?.name] === 'function' ? globalThis[error.constructor.name] : Error;
  const copy = new Kind(error.message);
  copy.stack = error.stack;
  return copy;
}

/** The same API, function by function (and the functions' own properties, like sign.detached.verify). */
function wrap(value) {
  if (typeof value === 'function') {
    const fn = function (...args) {
      try {
        return value.apply(this, args);
      } catch (error) {
        throw sandboxError(error);
      }
    };
    for (const key of Object.keys(value)) fn[key] = wrap(value[key]);
    return fn;
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out = {};
    for (const key of Object.keys(value)) out[key] = wrap(value[key]);
    return out;
  }
  return value;
}

module.exports = wrap(native);
