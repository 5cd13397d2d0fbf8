// `pg` under Jest: outside the sandbox (load.cjs), once per worker instead of once per file that
// builds a registry.
module.exports = require('./load.cjs')('pg');
