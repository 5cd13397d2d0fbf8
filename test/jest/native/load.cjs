// A package as Node itself loads it, outside Jest's sandbox, once per worker (the test environment,
// test/jest/environment.cjs, does the loading and lists the packages), handed to the sandbox
// through Proxies.
//
// Why: inside the sandbox every test file loads and compiles its own copy of each package it
// imports, and every global the package's code touches goes through the vm context's
// interceptors. For the packages that most files import (the server's and the test helpers') that
// was most of a small file's CPU. Outside, Node loads each once and runs it at its speed.
//
// Only for packages with no state a test could leave behind for the next file, and that take the
// sandbox's objects as they would their own. What they build is built in Node's realm: the same
// kinds of values, read the same way, except by a check of prototypes or `instanceof` against the
// sandbox's own Object or Promise (yaml.cjs copies what yaml parses into the sandbox's realm for
// that reason). Errors their exports throw are rethrown as the sandbox's own Error (or TypeError,
// RangeError, ...) with the same message and properties, so `instanceof Error` in the code under
// test sees what it would see in production.
function sandboxError(error) {
  if (error === null || typeof error !== 'object') return error;
  const Kind = typeof globalThis[error.constructor?.name] === 'function' ? globalThis[error.constructor.name] : Error;
  const copy = new Kind(error.message, error.cause === undefined ? undefined : { cause: error.cause });
  for (const key of Object.keys(error)) copy[key] = error[key];
  if (copy.name !== error.name) copy.name = error.name;
  copy.stack = error.stack;
  return copy;
}

const proxies = new WeakMap();

/**
 * The same API through a Proxy: calls and `new` go to the real function, with its errors made the
 * sandbox's; properties are read from the real object (getters run on it), and functions and
 * objects among them are handed over the same way, when first read. `instanceof` and prototypes
 * are the real ones.
 */
function wrap(value) {
  if ((typeof value !== 'function' && typeof value !== 'object') || value === null || ArrayBuffer.isView(value)) return value;
  let proxy = proxies.get(value);
  if (proxy === undefined) {
    proxy = new Proxy(value, {
      apply(target, self, args) {
        try {
          return Reflect.apply(target, self, args);
        } catch (error) {
          throw sandboxError(error);
        }
      },
      construct(target, args, newTarget) {
        try {
          return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
        } catch (error) {
          throw sandboxError(error);
        }
      },
      get(target, key) {
        const property = Reflect.get(target, key, target);
        // A proxy must answer a non-configurable, read-only property with the value itself.
        const own = Reflect.getOwnPropertyDescriptor(target, key);
        if (own !== undefined && own.configurable === false && own.writable === false) return property;
        return key === 'prototype' ? property : wrap(property);
      },
    });
    proxies.set(value, proxy);
  }
  return proxy;
}

/** The package `id` (one of environment.cjs's NATIVE list), loaded outside the sandbox. */
module.exports = function nativeModule(id) {
  return wrap(globalThis.peerkeysLoadNative(id));
};
