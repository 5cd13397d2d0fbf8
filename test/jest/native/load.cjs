// A package as Node itself loads it, outside Jest's sandbox, once per worker (the test environment,
// test/jest/environment.cjs, does the loading), handed to the sandbox function by function.
//
// Why: inside the sandbox every test file loads and compiles its own copy of each package it
// imports, and every global the package's code touches goes through the vm context's
// interceptors. For the big pure-JavaScript packages that many files import (tweetnacl, yaml,
// Ajv) that was seconds of CPU per worker. Outside, Node loads each once and runs it at its speed.
//
// Only for packages with no state a test could leave behind for the next file, whose results are
// plain data: what they return is built in Node's realm (objects, arrays), which the suite and the
// code under test read the same way. Errors they throw are rethrown as the sandbox's own Error (or
// TypeError, RangeError, ...) with the same message and properties, so `instanceof Error` in the
// code under test sees what it would see in production. Classes (Ajv) are handed over as they are:
// their instances are made and checked in Node's realm.
function sandboxError(error) {
  if (error === null || typeof error !== 'object') return error;
  const Kind = typeof globalThis[error.constructor?.name] === 'function' ? globalThis[error.constructor.name] : Error;
  const copy = new Kind(error.message, error.cause === undefined ? undefined : { cause: error.cause });
  for (const key of Object.keys(error)) copy[key] = error[key];
  if (copy.name !== error.name) copy.name = error.name;
  copy.stack = error.stack;
  return copy;
}

const isClass = (fn) => /^class\b/.test(Function.prototype.toString.call(fn));

/** The same API, function by function (and the functions' own properties, like sign.detached.verify). */
function wrap(value, seen = new Map()) {
  if (seen.has(value)) return seen.get(value);
  if (typeof value === 'function') {
    if (isClass(value)) return value;
    const fn = function (...args) {
      try {
        return value.apply(this, args);
      } catch (error) {
        throw sandboxError(error);
      }
    };
    seen.set(value, fn);
    for (const key of Object.keys(value)) fn[key] = wrap(value[key], seen);
    return fn;
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out = {};
    seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = wrap(value[key], seen);
    return out;
  }
  return value;
}

/** The package `id` (one of environment.cjs's NATIVE list), loaded outside the sandbox. */
module.exports = function nativeModule(id) {
  return wrap(globalThis.peerkeysLoadNative(id));
};
