/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and
 * self time by package, as percentages of the busy samples (idle ones are left out, so a
 * profile that includes start-up and waiting still shows where the work went).
 *
 *   tsx test/bench/profile-summary.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, rows = '25'] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: tsx test/bench/profile-summary.ts <file.cpuprofile> [rows]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map<number, number>();
let idle = 0;
for (const id of profile.samples) {
  if (byId.get(id)!.callFrame.functionName === '(idle)') idle++;
  else hits.set(id, (hits.get(id) ?? 0) + 1);
}
const total = profile.samples.length - idle;

/** node_modules/<package> (scoped too), the project's own file, or what V8 calls it. */
function owner(url: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules !== null) return inModules[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return '(native, GC, idle)';
  return url.replace(/^.*\/(src|dist)\//, '$1/');
}

const functions = new Map<string, number>();
const owners = new Map<string, number>();
for (const [id, count] of hits) {
  const { callFrame } = byId.get(id)!;
  const where = owner(callFrame.url);
  const name = `${callFrame.functionName || '(anonymous)'}  ${where}:${callFrame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + count);
  owners.set(where, (owners.get(where) ?? 0) + count);
}

const print = (title: string, table: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, count] of [...table].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
    console.log(`${((100 * count) / total).toFixed(1).padStart(6)}%  ${name}`);
  }
};
console.log(`${total} busy samples (${idle} idle left out)`);
print('self time by function', functions);
print('self time by owner', owners);
