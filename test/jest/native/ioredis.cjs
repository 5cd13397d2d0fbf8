// ioredis under Jest: outside the sandbox (load.cjs), once per worker instead of once per file that
// builds a registry (the service imports it whether or not REDIS_URL is set).
module.exports = require('./load.cjs')('ioredis');
