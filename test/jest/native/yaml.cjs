// `import { parse } from 'yaml'` under Jest: yaml outside the sandbox (load.cjs), and each text
// parsed once per worker (yaml-parse-once.cjs). Every app the suite builds parses openapi.yaml
// (133 KB) for its /docs page, and the contract tests parse it again: inside the sandbox, loading
// yaml and parsing it took a second or more per file.
//
// What parse returns is made of the sandbox's own objects and arrays, as yaml would have made them
// in the sandbox: the code under test checks for plain objects by their prototype (canonical JSON).
const yaml = require('./load.cjs')('./native/yaml-parse-once.cjs');

/** A deep copy of plain objects and arrays made in this realm; anything else as it is. */
function ownRealm(value) {
  if (Array.isArray(value)) return Array.from(value, ownRealm);
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === null || Object.getPrototypeOf(prototype) === null) {
    const copy = prototype === null ? Object.create(null) : {};
    for (const [key, item] of Object.entries(value)) copy[key] = ownRealm(item);
    return copy;
  }
  return value;
}

function parse(text, ...rest) {
  const json = rest.length === 0 && typeof text === 'string' ? yaml.parseToJson(text) : null;
  return json !== null ? JSON.parse(json) : ownRealm(yaml.parse(text, ...rest));
}

module.exports = { ...yaml, parse };
