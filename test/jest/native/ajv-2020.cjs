// `import { Ajv2020 } from 'ajv/dist/2020.js'` under Jest: see ajv.cjs.
module.exports = require('./load.cjs')('ajv/dist/2020.js');
