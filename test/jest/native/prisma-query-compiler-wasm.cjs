// The Prisma client's query compiler (WebAssembly, as a 4.6 MB base64 string in an ES module) under
// Jest: outside the sandbox (load.cjs), read and parsed once per worker instead of once per test
// file that opens a database. It is a constant; the client decodes and compiles it itself.
module.exports = require('./load.cjs')('@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs');
