// Writes test/jest/durations.json (read by sequencer.cjs) from a Jest JSON report: seconds per test file.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const [report] = process.argv.slice(2);
if (report === undefined) {
  console.error('usage: node test/jest/durations.mjs <report.json from jest --json>');
  process.exit(2);
}
const root = new URL('../..', import.meta.url).pathname;
const results = JSON.parse(readFileSync(report, 'utf8')).testResults;
const durations = Object.fromEntries(
  results
    .map((r) => [relative(root, r.name), Math.round((r.endTime - r.startTime) / 100) / 10])
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(new URL('durations.json', import.meta.url), `${JSON.stringify(durations, null, 2)}\n`);
