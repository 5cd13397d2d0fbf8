/**
 * Builds the client SDK as a package of its own, `@peerkeys/sdk`, in dist/sdk-package/ (run after
 * `tsc`, as part of `npm run build`; `npm run pack:sdk` packs it). Only src/sdk and the parts of
 * src/protocol it imports go in; nothing of the server's.
 *
 *   esm/      one ES module per source file, so that bundlers leave out what an app does not use
 *             ("sideEffects": false), with its declarations (.d.ts) next to it; entries: the
 *             SDK, ./lookup (looking keys up and verifying only) and ./node (FileStore);
 *   cjs/      one CommonJS bundle per entry, and the same declarations, read there as CommonJS;
 *   browser/  one minified ES module with everything in it, for a page without a bundler.
 *
 * Dependencies. tweetnacl is one. zod, @noble/curves, @noble/hashes and canonicalize are bundled
 * (the parts the SDK uses, a few hundred kB unminified) instead: installed, they weigh 8.6 MB, most
 * of it other curves, other validators and TypeScript sources — the SDK's budget is 3 MB in all
 * (docs/sdk.md, "Size"). Their versions are pinned by the lock file, listed in the package's
 * THIRD_PARTY_LICENSES.txt with their licences, and updated by releasing the SDK.
 *
 * The declarations hold no zod (record types are written out; the schemas are @internal and
 * stripped); the browser builds hold nothing Node-only. Both are checked here.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';

// Every path here is relative and '/'-separated, on Windows too (esbuild's metafile writes them
// so, and Node's fs takes them): posix's functions keep them so, where path's own would write '\\'
// on Windows, into import specifiers and into the paths compared with each other below.
const { dirname, join, relative } = posix;

const OUT = 'dist/sdk-package';
const ENTRIES = { 'sdk/index': 'src/sdk/index.ts', 'sdk/lookup': 'src/sdk/lookup.ts', 'sdk/node/index': 'src/sdk/node/index.ts' };
/** Installed with the SDK, at the range the server uses. */
const DEPENDENCIES = ['tweetnacl'];
/** Bundled into the SDK (see above). */
const BUNDLED = ['zod', '@noble/curves', '@noble/hashes', 'canonicalize'];
/** The handshake's socket.io adapters take the caller's sockets: socket.io-client is the caller's. */
const PEER_DEPENDENCIES = ['socket.io-client'];

const root = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  license: string;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

rmSync(OUT, { recursive: true, force: true });

// The source files: what the entries import, as esbuild finds it.
const graph = await build({ entryPoints: Object.values(ENTRIES), bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', outdir: 'unused', packages: 'external' });
const sources = Object.keys(graph.metafile.inputs).filter((input) => !input.startsWith('node:'));
const strays = sources.filter((input) => !/^src\/(sdk|protocol)\//.test(input));
if (strays.length > 0) throw new Error(`the SDK imports code outside src/sdk and src/protocol: ${strays.join(', ')}`);

// ES modules: each source file as it is, then its imports of bundled packages pointed at vendor/.
await build({ entryPoints: sources, outbase: 'src', outdir: `${OUT}/esm`, format: 'esm', platform: 'neutral', target: 'es2022' });
const modules = listFiles(`${OUT}/esm`).filter((file) => file.endsWith('.js'));
const wanted = new Map<string, Set<string>>();
for (const file of modules) {
  const text = readFileSync(file, 'utf8');
  for (const { clause, specifier } of importsOf(text)) {
    if (!BUNDLED.includes(packageOf(specifier))) continue;
    const names = wanted.get(specifier) ?? new Set<string>();
    wanted.set(specifier, names);
    for (const name of importedNames(clause, text)) names.add(name);
  }
}
const vendorPath = (specifier: string) => `vendor/${specifier.replace(/^@/, '').replace(/\.js$/, '').replace(/\//g, '-')}`;
await build({
  entryPoints: [...wanted.keys()].map((specifier) => ({ in: `vendor:${specifier}`, out: vendorPath(specifier) })),
  outdir: `${OUT}/esm`,
  bundle: true,
  splitting: true,
  chunkNames: 'vendor/shared-[hash]',
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2022',
  legalComments: 'inline',
  plugins: [reexports(wanted)],
});
for (const file of modules) {
  let text = readFileSync(file, 'utf8');
  for (const specifier of wanted.keys()) {
    const path = relative(dirname(file), `${OUT}/esm/${vendorPath(specifier)}.js`);
    text = text.replaceAll(`from "${specifier}"`, `from ${JSON.stringify(path.startsWith('.') ? path : `./${path}`)}`);
  }
  writeFileSync(file, text);
  const left = importsOf(text).map((i) => i.specifier).filter((s) => !s.startsWith('.') && !DEPENDENCIES.includes(packageOf(s)));
  const allowed = file.includes('/esm/sdk/node/') ? left.filter((s) => !s.startsWith('node:')) : left;
  if (allowed.length > 0) throw new Error(`${file} imports ${allowed.join(', ')}: neither a dependency of the SDK nor bundled (nor, outside sdk/node, allowed in browsers)`);
}

// CommonJS, one bundle per entry (the ES module build would need require(esm), and two copies of
// each class are what a program that mixes the two would get anyway).
// ./lookup is a subset of the SDK: in CommonJS, where nothing is left out anyway, it hands out the
// main bundle's own classes.
const cjs = { bundle: true, format: 'cjs', platform: 'node', target: 'es2022', legalComments: 'inline', external: DEPENDENCIES } satisfies BuildOptions;
await build({ ...cjs, entryPoints: [ENTRIES['sdk/index']], outfile: `${OUT}/cjs/sdk/index.js` });
await build({ ...cjs, entryPoints: [ENTRIES['sdk/node/index']], outfile: `${OUT}/cjs/sdk/node/index.js` });
const lookupNames = Object.keys(await import(pathToFileURL(`${OUT}/esm/sdk/lookup.js`).href)).sort();
writeFileSync(
  `${OUT}/cjs/sdk/lookup.js`,
  `"use strict";\n// @peerkeys/sdk/lookup: the lookup-and-verify part of the SDK (see esm/sdk/lookup.js).\nconst sdk = require("./index.js");\n${lookupNames.map((name) => `exports.${name} = sdk.${name};`).join('\n')}\n`,
);
writeFileSync(`${OUT}/cjs/package.json`, `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

const browser = await build({
  entryPoints: [ENTRIES['sdk/index']],
  outfile: `${OUT}/browser/peerkeys-sdk.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  metafile: true,
  // tweetnacl falls back to require('crypto') only where there is no WebCrypto; never in a browser.
  external: ['crypto'],
});
const nodeOnly = Object.keys(browser.metafile.inputs).filter((input) => input.startsWith('node:') || /src\/(server|db|cli|node|mirror)\//.test(input));
if (nodeOnly.length > 0) throw new Error(`the SDK browser bundle pulled in server or Node-only code: ${nodeOnly.join(', ')}`);

// Declarations: tsc from the entries, @internal ones stripped. Only those the entries reach are
// shipped (the others would be dead weight, and some name zod), in esm/ and again in cjs/.
const tsconfig = `${OUT}/tsconfig.json`;
writeFileSync(
  tsconfig,
  JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: { rootDir: '../../src', outDir: 'esm', declaration: true, emitDeclarationOnly: true, sourceMap: false, stripInternal: true },
    include: [],
    files: Object.values(ENTRIES).map((entry) => `../../${entry}`),
  }),
);
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', tsconfig], { stdio: 'inherit' });
rmSync(tsconfig);
const declarations = reachableDeclarations(Object.keys(ENTRIES).map((out) => `${OUT}/esm/${out}.d.ts`));
for (const file of listFiles(`${OUT}/esm`).filter((name) => name.endsWith('.d.ts') && !declarations.has(name))) rmSync(file);
for (const file of declarations) {
  const foreign = importsOf(readFileSync(file, 'utf8')).map((i) => i.specifier).filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !DEPENDENCIES.includes(packageOf(s)));
  if (foreign.length > 0) throw new Error(`${file} imports ${foreign.join(', ')}, which an installed SDK does not have`);
  cpSync(file, `${OUT}/cjs/${relative(`${OUT}/esm`, file)}`);
}

const conditions = (out: string) => ({
  import: { types: `./esm/${out}.d.ts`, default: `./esm/${out}.js` },
  require: { types: `./cjs/${out}.d.ts`, default: `./cjs/${out}.js` },
});
const range = (name: string) => root.dependencies[name] ?? root.devDependencies[name] ?? fail(`the SDK needs ${name}, which package.json does not list`);
const manifest = {
  name: '@peerkeys/sdk',
  version: root.version,
  description: "The peerkeys client: look up peers' keys in a peerkeys registry and verify every answer itself; identities, sealed messages, the peer handshake.",
  license: root.license,
  keywords: ['peerkeys', 'public key', 'key transparency', 'ed25519', 'nacl', 'p2p'],
  type: 'module',
  sideEffects: false,
  engines: root.engines,
  exports: {
    '.': conditions('sdk/index'),
    './lookup': conditions('sdk/lookup'),
    './node': conditions('sdk/node/index'),
    // The standalone module; `require` (a CommonJS bundler) gets the CommonJS build, which is as
    // browser-safe.
    './browser': { import: { types: './esm/sdk/index.d.ts', default: './browser/peerkeys-sdk.js' }, require: conditions('sdk/index').require },
    './package.json': './package.json',
  },
  main: './cjs/sdk/index.js',
  module: './esm/sdk/index.js',
  types: './cjs/sdk/index.d.ts',
  // For resolvers that predate "exports" (TypeScript's moduleResolution "node10").
  typesVersions: { '*': { lookup: ['./cjs/sdk/lookup.d.ts'], node: ['./cjs/sdk/node/index.d.ts'], browser: ['./cjs/sdk/index.d.ts'] } },
  files: ['esm', 'cjs', 'browser', 'examples', 'THIRD_PARTY_LICENSES.txt'],
  dependencies: Object.fromEntries(DEPENDENCIES.map((name) => [name, range(name)])),
  peerDependencies: Object.fromEntries(PEER_DEPENDENCIES.map((name) => [name, range(name)])),
  peerDependenciesMeta: Object.fromEntries(PEER_DEPENDENCIES.map((name) => [name, { optional: true }])),
};
writeFileSync(`${OUT}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
// The guide is the README; its examples come along, and links to the rest of the repository's
// docs, which the package does not have, become plain text.
cpSync('docs/examples', `${OUT}/examples`, { recursive: true });
writeFileSync(`${OUT}/README.md`, readFileSync('docs/sdk.md', 'utf8').replace(/\[([^\]]+)\]\((?!https?:|#|examples\/)[^)]+\)/g, '$1'));
writeFileSync(
  `${OUT}/THIRD_PARTY_LICENSES.txt`,
  BUNDLED.map((name) => {
    const { version, license } = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string; license: string };
    return `${name} ${version} (${license}), bundled into esm/vendor, cjs/ and browser/\n\n${readFileSync(`node_modules/${name}/LICENSE`, 'utf8').trim()}\n`;
  }).join(`\n${'-'.repeat(72)}\n\n`),
);

const bytes = listFiles(OUT).reduce((sum, file) => sum + statSync(file).size, 0);
console.log(`@peerkeys/sdk built in ${OUT}: ${sources.length} source files, ${wanted.size} bundled modules, ${(bytes / 1000).toFixed(0)} kB`);

function fail(message: string): never {
  throw new Error(message);
}

/** The package a module specifier names: "@noble/curves/ed25519.js" → "@noble/curves". */
function packageOf(specifier: string): string {
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

/** The static imports and re-exports of esbuild's output (one statement per line, double quotes). */
function importsOf(text: string): Array<{ clause: string; specifier: string }> {
  return [...text.matchAll(/^(?:import|export)\s+(.*?)\s*from\s*["']([^"']+)["'];?$/gm)].map((m) => ({ clause: m[1]!, specifier: m[2]! }));
}

/** The names an import clause takes from its module; for `* as ns`, the members `text` reads. */
function importedNames(clause: string, text: string): string[] {
  const namespace = /^\*\s+as\s+([\w$]+)$/.exec(clause);
  if (namespace !== null) return [...text.matchAll(new RegExp(`\\b${namespace[1]!.replace('$', '\\$')}\\.([\\w$]+)`, 'g'))].map((m) => m[1]!);
  const names: string[] = [];
  const defaultName = /^([\w$]+)\s*(?:,|$)/.exec(clause);
  if (defaultName !== null) names.push('default');
  const braces = /\{([^}]*)\}/.exec(clause);
  for (const part of braces?.[1]!.split(',') ?? []) {
    const name = part.trim().split(/\s+as\s+/)[0]!;
    if (name !== '') names.push(name);
  }
  return names;
}

/** Virtual entry points `vendor:<specifier>` that re-export what the SDK takes from a package. */
function reexports(wanted: Map<string, Set<string>>): Plugin {
  return {
    name: 'vendor-reexports',
    setup(build) {
      build.onResolve({ filter: /^vendor:/ }, (args) => ({ path: args.path.slice('vendor:'.length), namespace: 'vendor' }));
      build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => {
        const names = [...wanted.get(args.path)!].sort();
        const named = names.filter((name) => name !== 'default');
        const lines = [names.includes('default') ? `export { default } from '${args.path}';` : '', named.length > 0 ? `export { ${named.join(', ')} } from '${args.path}';` : ''];
        return { contents: lines.join('\n'), resolveDir: '.', loader: 'js' };
      });
    },
  };
}

/** The declaration files that `entries` import, directly or not. */
function reachableDeclarations(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from\s*|import\()['"](\.[^'"]+)\.js['"]/g)) visit(join(dirname(file), `${match[1]!}.d.ts`));
  };
  for (const entry of entries) visit(entry);
  return seen;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}
