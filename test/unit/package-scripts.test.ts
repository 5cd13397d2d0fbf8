// Every package.json script must run under cmd.exe as under a POSIX shell: npm runs scripts with
// sh on Linux and macOS and with cmd.exe on Windows, where the README's quick start must work too.
// cmd.exe has no `NAME=value command` prefix, no `$NAME` or `${NAME:-default}`, no single quotes
// (it passes them on as part of the word), no `;` between commands, no globs (`*`, `?`, `[…]`:
// passed on as they are), no `~` for the home folder and no `( … )` subshell, and its single `&`
// runs commands one after the other where sh runs the first in the background; both run `&&`,
// `||` and `|`, and both take double quotes. What needs more than that is a node or tsx script
// (src/start.ts, src/build/generate.ts, test/tools/test-long.ts), which point here.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

const ROOT = new URL('../../', import.meta.url);
const SCRIPTS = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Programs found on every platform npm runs on: Node, npm, and the package binaries npm puts on the path. */
function portableProgram(name: string): boolean {
  return ['node', 'npm', 'npx'].includes(name) || existsSync(new URL(`node_modules/.bin/${name}`, ROOT));
}

/** What in `script` only a POSIX shell understands (or only cmd.exe), one line each; none for a portable script. */
function shellSpecific(script: string): string[] {
  const problems: string[] = [];
  if (/\$[{(A-Za-z_]/.test(script)) problems.push('a $ expansion ($NAME, ${…}, $(…)), expanded by sh even within double quotes');
  if (script.includes('`')) problems.push('a backquote');
  if (/%[A-Za-z_][A-Za-z0-9_]*%/.test(script)) problems.push('a %NAME% expansion (cmd.exe only)');
  // What is outside double quotes, each quoted string left as one placeholder word.
  const unquoted = script.replace(/"[^"]*"/g, '""');
  if (unquoted.includes("'")) problems.push('a single quote outside double quotes');
  if (unquoted.includes(';')) problems.push('a ; between commands');
  if (/\\\s*$|\\\n/.test(unquoted)) problems.push('a line continuation');
  if (unquoted.includes('/dev/null')) problems.push('/dev/null');
  if (/[*?[\]]/.test(unquoted)) problems.push('an unquoted glob (*, ?, […]), expanded by sh only');
  if (/(^|\s)~/.test(unquoted)) problems.push('a ~ for the home folder, expanded by sh only');
  if (/[()]/.test(unquoted)) problems.push('a ( … ) subshell');
  // A single & (not &&, nor a redirection's >&): in the background under sh, in turn under cmd.exe.
  if (/(?<![&<>])&(?!&)/.test(unquoted)) problems.push('a single & between commands');
  for (const command of unquoted.split(/&&|\|\||\||(?<![<>])&/).map((c) => c.trim())) {
    const [program = ''] = command.replace(/^\(+/, '').split(/\s+/);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(program)) problems.push(`a NAME=value prefix: ${program}`);
    else if (!portableProgram(program)) problems.push(`a program that is not node, npm or a package binary: ${program}`);
  }
  return problems;
}

describe('package.json scripts', () => {
  it('use nothing that only a POSIX shell (or only cmd.exe) runs', () => {
    const found = Object.entries(SCRIPTS).flatMap(([name, script]) => shellSpecific(script).map((problem) => `${name}: ${problem}`));
    expect(found).toEqual([]);
  });

  it('are read: start, generate and test:long among them', () => {
    expect(Object.keys(SCRIPTS)).toEqual(expect.arrayContaining(['start', 'generate', 'test', 'test:long', 'prepack']));
  });

  it('refuses each kind of POSIX-only syntax, and passes what both shells run', () => {
    expect(shellSpecific('GLIBC_TUNABLES=a:b node --liftoff-only dist/main.js')).toEqual(['a NAME=value prefix: GLIBC_TUNABLES=a:b']);
    expect(shellSpecific('PRISMA_SCHEMA_ENGINE_BINARY=${PRISMA_SCHEMA_ENGINE_BINARY:-package.json} prisma generate')).toHaveLength(2);
    expect(shellSpecific('npm test && FUZZ_RUNS=1 npm test')).toEqual(['a NAME=value prefix: FUZZ_RUNS=1']);
    expect(shellSpecific('node -e "console.log($HOME)"')).toHaveLength(1);
    expect(shellSpecific("tsx test/bench/stalls.ts 'base=../base'")).toEqual(['a single quote outside double quotes']);
    expect(shellSpecific('npm run -s build; node x.js')).toEqual(['a ; between commands']);
    expect(shellSpecific('rm -rf dist && node x.js')).toEqual(['a program that is not node, npm or a package binary: rm']);
    expect(shellSpecific('node x.js 2>/dev/null')).toEqual(['/dev/null']);
    expect(shellSpecific('echo %PATH%')).toContain('a %NAME% expansion (cmd.exe only)');
    expect(shellSpecific('tsc -p test/*.json')).toEqual(['an unquoted glob (*, ?, […]), expanded by sh only']);
    expect(shellSpecific('jest test/unit/key-map?.test.ts')).toEqual(['an unquoted glob (*, ?, […]), expanded by sh only']);
    expect(shellSpecific('jest test/unit/[a-c]*.test.ts')).toEqual(['an unquoted glob (*, ?, […]), expanded by sh only']);
    expect(shellSpecific('node dist/cli/peerkeys.js verify ~/peerkeys')).toEqual(['a ~ for the home folder, expanded by sh only']);
    expect(shellSpecific('(npm run -s build) && node x.js')).toEqual(['a ( … ) subshell']);
    // Split at the &: each side is a command of its own, and a `rm` there is found too.
    expect(shellSpecific('node server.js & rm -rf tmp')).toEqual(['a single & between commands', 'a program that is not node, npm or a package binary: rm']);
    expect(shellSpecific('node x.js 2>&1 && node "y*.js"')).toEqual([]);
    expect(shellSpecific(`node -e "require('node:fs').rmSync('dist', { recursive: true, force: true })" && npm run -s build`)).toEqual([]);
    expect(shellSpecific('npm run -s generate && tsc --noEmit -p . && tsx src/build/bundle.ts')).toEqual([]);
  });
});
