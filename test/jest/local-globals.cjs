// A Jest transformer for the few pure-JavaScript crypto libraries the suite runs hot (tweetnacl,
// @noble/*). Jest runs every module inside a vm context, where each read of a global (Math,
// Float64Array, ...) goes through the context's interceptors: tweetnacl's field arithmetic ran 10
// to 15 times slower than under plain Node. Binding the globals a module reads to module-level
// constants once, at load, makes those reads local again. The values are the very same objects,
// so nothing else changes (Jest already gives the sandbox Node's own Uint8Array).
const { createHash } = require('node:crypto');

const INTRINSICS = ['Math', 'Number', 'BigInt', 'Array', 'Object', 'Error', 'TypeError', 'RangeError', 'Uint8Array', 'Uint16Array', 'Uint32Array', 'Int32Array', 'Float64Array', 'BigUint64Array', 'DataView', 'ArrayBuffer', 'String', 'JSON', 'Symbol'];
const VERSION = '1';

function localGlobals(source) {
  const names = INTRINSICS.filter(
    (name) =>
      new RegExp(`\\b${name}\\b`).test(source) &&
      // Never shadow a name the module declares or imports itself.
      !new RegExp(`(?:\\b(?:var|let|const|function|class)\\s+${name}\\b)|(?:\\bimport\\b[^;]*\\b${name}\\b)|(?:\\b${name}\\s*=[^=])`).test(source),
  );
  return names.length === 0 ? '' : `var ${names.map((name) => `${name} = globalThis.${name}`).join(', ')};`;
}

module.exports = {
  process(source) {
    // Kept on the first line, after a "use strict" directive, so that neither strictness nor
    // line numbers in stack traces change.
    const directive = /^\s*(['"])use strict\1;?/.exec(source)?.[0] ?? '';
    return { code: `${directive}${localGlobals(source)}${source.slice(directive.length)}` };
  },
  getCacheKey(source, path) {
    return createHash('sha256').update(VERSION).update(path).update('\0').update(source).digest('hex');
  },
};
