// `@noble/curves/ed25519.js` under Jest: outside the sandbox (load.cjs; Node requires this ES module
// itself), once per worker. The registry checks every Ed25519 key it is sent with it (a point
// decompression and a torsion check), which inside the sandbox was the costliest step of a write.
module.exports = require('./load.cjs')('@noble/curves/ed25519.js');
