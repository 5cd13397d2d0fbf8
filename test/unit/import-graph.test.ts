// The dependency rule of the source tree (README.md, "Development": Layout), checked on the import
// statements themselves: the server stands on shared foundations, never the other way round.
//   - mirror/, cli/, sdk/, page/, protocol/ and ledger/ import nothing from server/;
//   - protocol/ imports nothing of ours outside protocol/;
//   - ledger/ (runtime-neutral) imports only protocol/ and itself, and no Node built-in or Prisma;
//   - sdk/ and page/ (they run in browsers) import nothing from db/, node/, cli/ or mirror/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const SRC = new URL('../../src', import.meta.url).pathname;

interface Edge {
  from: string;
  /** A path under src/ for our own modules, else the bare specifier ('node:fs', 'zod'). */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** Static imports and re-exports (`import … from`, `import '…'`, `export … from`) and dynamic `import('…')`. */
const IMPORT = /(?:^|[;\s])(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

export function importsOf(file: string, text: string): Edge[] {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...withoutComments.matchAll(IMPORT)].map((m) => {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    const to = spec.startsWith('.') ? normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
    return { from: file, to };
  });
}

const folder = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '');
const ours = (edge: Edge) => edge.to.endsWith('.ts') && !edge.to.startsWith('..');

/** What is wrong with one edge, or null. */
export function violation(edge: Edge): string | null {
  const from = folder(edge.from);
  const to = ours(edge) ? folder(edge.to) : null;
  if (['mirror', 'cli', 'sdk', 'page', 'protocol', 'ledger'].includes(from) && to === 'server') return `${from}/ must not import server/`;
  if (from === 'protocol' && to !== null && to !== 'protocol') return `protocol/ imports nothing of ours outside protocol/`;
  if (from === 'ledger') {
    if (to !== null && to !== 'ledger' && to !== 'protocol') return 'ledger/ imports only protocol/ and ledger/';
    if (to === null && (edge.to.startsWith('node:') || edge.to.startsWith('@prisma/') || edge.to === 'pg')) return 'ledger/ is runtime-neutral: no Node built-in, no Prisma';
  }
  if ((from === 'sdk' || from === 'page') && to !== null && ['db', 'node', 'cli', 'mirror'].includes(to)) return `${from}/ runs in browsers: it must not import ${to}/`;
  return null;
}

describe('the import graph of src/', () => {
  const edges = sourceFiles(SRC).flatMap((file) => importsOf(file, readFileSync(join(SRC, file), 'utf8')));

  it('reads the imports of every source file', () => {
    expect(edges.length).toBeGreaterThan(500);
    // The parser sees each form of import it claims to.
    const sample = importsOf(
      'mirror/x.ts',
      `import { a } from '../server/a.js';\nimport type {\n  B,\n} from "../server/b.js";\nexport { c } from '../server/c.js';\nimport '../server/d.js';\nconst e = await import('../server/e.js');\n// import { f } from '../server/f.js';`,
    );
    expect(sample.map((e) => e.to)).toEqual(['server/a.ts', 'server/b.ts', 'server/c.ts', 'server/d.ts', 'server/e.ts']);
  });

  it('has no edge that breaks the dependency rule', () => {
    const broken = edges.map((edge) => ({ edge, why: violation(edge) })).filter((v) => v.why !== null);
    expect(broken.map(({ edge, why }) => `${edge.from} → ${edge.to}: ${why}`)).toEqual([]);
  });

  it('refuses each kind of forbidden edge', () => {
    expect(violation({ from: 'cli/commands/x.ts', to: 'server/log/log-audit.ts' })).not.toBeNull();
    expect(violation({ from: 'mirror/follower.ts', to: 'server/a.ts' })).not.toBeNull();
    expect(violation({ from: 'sdk/client.ts', to: 'server/a.ts' })).not.toBeNull();
    expect(violation({ from: 'page/main.ts', to: 'server/a.ts' })).not.toBeNull();
    expect(violation({ from: 'protocol/merkle.ts', to: 'sdk/errors.ts' })).not.toBeNull();
    expect(violation({ from: 'protocol/merkle.ts', to: 'config.ts' })).not.toBeNull();
    expect(violation({ from: 'ledger/replay.ts', to: 'db/client.ts' })).not.toBeNull();
    expect(violation({ from: 'ledger/replay.ts', to: 'node:fs' })).not.toBeNull();
    expect(violation({ from: 'sdk/client.ts', to: 'node/node-ed25519.ts' })).not.toBeNull();
    expect(violation({ from: 'server/app.ts', to: 'db/client.ts' })).toBeNull();
  });
});
