// `import addFormats from 'ajv-formats'` under Jest: see ajv.cjs (it extends the Ajv loaded there).
module.exports = require('./load.cjs')('ajv-formats');
