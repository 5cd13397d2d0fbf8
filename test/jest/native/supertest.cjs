// supertest (and superagent under it) under Jest: outside the sandbox (load.cjs), once per worker
// instead of once per file that calls the API (it was the largest package such files loaded). It
// calls the app it is given, and its replies are plain data: bytes, headers, a status.
module.exports = require('./load.cjs')('supertest');
