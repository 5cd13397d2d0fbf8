// Express (with its router and body parsers) under Jest: outside the sandbox (load.cjs), once per
// worker instead of once per file that builds an app. It holds no state between apps; the
// middleware and errors it passes along are the application's own, untouched.
module.exports = require('./load.cjs')('express');
