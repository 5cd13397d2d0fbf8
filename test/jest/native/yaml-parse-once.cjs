// yaml, as loaded outside the sandbox (test/jest/native/yaml.cjs), with `parse(text)` remembered per
// worker: every app the suite builds parses the same openapi.yaml (133 KB) for its /docs page, and
// that parse was the largest single cost of starting a test registry. Calls with options or a
// reviver, and texts that fail to parse, are not remembered.
const yaml = require('yaml');

const parsed = new Map();
const MAX_TEXTS = 20;

/** Whether JSON.parse(JSON.stringify(value)) gives back the same value. */
function jsonSafe(value) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !jsonSafe(value[i])) return false;
    return true;
  }
  if (typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const item of Object.values(value)) if (!jsonSafe(item)) return false;
  return true;
}

function remembered(text) {
  let entry = parsed.get(text);
  if (entry === undefined) {
    const value = yaml.parse(text);
    entry = { value, json: jsonSafe(value) ? JSON.stringify(value) : null };
    if (parsed.size >= MAX_TEXTS) parsed.clear();
    parsed.set(text, entry);
  }
  return entry;
}

/** The document as JSON text when JSON holds it exactly (the caller parses it in its own realm), else null. */
function parseToJson(text) {
  return remembered(text).json;
}

/** Each caller gets its own deep copy, so no caller sees what another did to its document. */
function parse(text, ...rest) {
  if (rest.length > 0 || typeof text !== 'string') return yaml.parse(text, ...rest);
  return structuredClone(remembered(text).value);
}

module.exports = { ...yaml, parse, parseToJson };
