// `import nacl from 'tweetnacl'` in tests and sources, under Jest: tweetnacl outside the sandbox
// (test/jest/native/load.cjs). Inside, every global its field arithmetic touches goes through the
// vm context's interceptors, and its Ed25519 ran 2 to 15 times slower, which made the
// signature-heavy suites the slowest of all. Its Uint8Arrays are the sandbox's (Jest hands the
// sandbox Node's own Uint8Array).
module.exports = require('./load.cjs')('tweetnacl');
