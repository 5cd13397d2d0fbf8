// Jest transformer for the sources (TypeScript, through SWC) and for the pure-JavaScript crypto
// libraries the suite runs hot (tweetnacl, @noble/*).
//
// Jest runs every module inside a vm context, where each read of a global (Math, Uint8Array,
// Float64Array, ...) goes through the context's interceptors: tweetnacl's field arithmetic ran 10
// to 15 times slower than under plain Node. Binding the globals a module reads to module-level
// variables once, at load, makes those reads local again. The values are the very same objects
// (Jest already hands the sandbox Node's own Uint8Array), so nothing else changes.
const { createHash } = require('node:crypto');
const { createTransformer } = require('@swc/jest');

const INTRINSICS = ['Math', 'Number', 'BigInt', 'Array', 'Object', 'Error', 'TypeError', 'RangeError', 'Uint8Array', 'Uint16Array', 'Uint32Array', 'Int32Array', 'Float64Array', 'BigUint64Array', 'DataView', 'ArrayBuffer', 'String', 'JSON', 'Symbol', 'Map', 'Set', 'Promise', 'TextEncoder', 'TextDecoder'];
const VERSION = '2';

function localGlobals(source) {
  const names = INTRINSICS.filter(
    (name) =>
      new RegExp(`\\b${name}\\b`).test(source) &&
      // Never shadow a name the module declares, imports or assigns itself.
      !new RegExp(`(?:\\b(?:var|let|const|function|class)\\s+${name}\\b)|(?:\\bimport\\b[^;]*\\b${name}\\b)|(?:(?<![.\\w$])${name}\\s*=[^=>])|(?:\\b${name}\\s*:)`).test(source),
  );
  return names.length === 0 ? '' : `var ${names.map((name) => `${name} = globalThis.${name}`).join(', ')};`;
}

/** The code with the bindings on its first line (after a "use strict"), so no line number moves. */
function withLocalGlobals(code) {
  const directive = /^\s*(['"])use strict\1;?/.exec(code)?.[0] ?? '';
  return `${directive}${localGlobals(code)}${code.slice(directive.length)}`;
}

const swc = createTransformer({ jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true }, module: { type: 'es6' } });

module.exports = {
  process(source, path, options) {
    if (!path.endsWith('.ts')) return { code: withLocalGlobals(source) };
    const result = swc.process(source, path, options);
    return { ...result, code: withLocalGlobals(result.code) };
  },
  getCacheKey(source, path, options) {
    const inner = path.endsWith('.ts') ? swc.getCacheKey(source, path, options) : '';
    return createHash('sha256').update(VERSION).update(inner).update('\0').update(path).update('\0').update(source).digest('hex');
  },
};
