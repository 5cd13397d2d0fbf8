// `import { Ajv } from 'ajv'` under Jest: Ajv outside the sandbox (test/jest/native/load.cjs),
// loaded once per worker instead of once per contract test file; the validators it compiles run in
// Node's realm. ajv-2020.cjs and ajv-formats.cjs are its other entries.
module.exports = require('./load.cjs')('ajv');
