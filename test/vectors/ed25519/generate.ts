/**
 * Writes valid.json and invalid.json beside this file from cases.ts (fixed seeds: the output is
 * the same on every run). Run: npx tsx test/vectors/ed25519/generate.ts
 */
import { writeFileSync } from 'node:fs';
import { buildInvalid, buildValid } from './cases.js';

for (const [name, file] of [
  ['valid.json', buildValid()],
  ['invalid.json', buildInvalid()],
] as const) {
  writeFileSync(new URL(`./${name}`, import.meta.url), `${JSON.stringify(file, null, 2)}\n`);
  console.log(`${name}: ${file.cases.length} cases`);
}
