// `import { parse } from 'yaml'` under Jest: yaml outside the sandbox (test/jest/native/load.cjs).
// Every app the suite builds parses openapi.yaml (133 KB) for its /docs page, and the contract
// tests parse it again: inside the sandbox, loading and running yaml took a second or more per file.
// Its parse remembers the texts it parsed (yaml-parse-once.cjs).
module.exports = require('./load.cjs')('./native/yaml-parse-once.cjs');
