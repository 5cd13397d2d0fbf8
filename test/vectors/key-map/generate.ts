/**
 * Writes the key-map vectors beside this file from cases.ts (fixed inputs: the output is the same
 * on every run). Run: npx tsx test/vectors/key-map/generate.ts
 */
import { writeFileSync } from 'node:fs';
import { buildAll } from './cases.js';

for (const [name, content] of Object.entries(await buildAll())) {
  writeFileSync(new URL(`./${name}`, import.meta.url), `${JSON.stringify(content, null, 2)}\n`);
  console.log(name);
}
