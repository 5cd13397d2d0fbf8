// `@noble/hashes/hkdf.js` under Jest: outside the sandbox (load.cjs), as noble-ed25519.cjs.
module.exports = require('./load.cjs')('@noble/hashes/hkdf.js');
