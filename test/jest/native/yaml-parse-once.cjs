// yaml, as loaded outside the sandbox (test/jest/native/yaml.cjs), with `parse(text)` remembered per
// worker: every app the suite builds parses the same openapi.yaml (133 KB) for its /docs page, and
// that parse was the largest single cost of starting a test registry. Each caller gets its own
// deep copy (structuredClone), so no caller sees what another did to its document. Calls with
// options or a reviver, and texts that fail to parse, are not remembered.
const yaml = require('yaml');

const parsed = new Map();
const MAX_TEXTS = 20;

function parse(text, ...rest) {
  if (rest.length > 0 || typeof text !== 'string') return yaml.parse(text, ...rest);
  if (!parsed.has(text)) {
    const value = yaml.parse(text);
    if (parsed.size >= MAX_TEXTS) parsed.clear();
    parsed.set(text, value);
  }
  return structuredClone(parsed.get(text));
}

module.exports = { ...yaml, parse };
