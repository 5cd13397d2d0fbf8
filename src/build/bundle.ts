/**
 * Builds the lookup page's script after `tsc`: dist/assets/page.js (src/page/main.ts with the SDK
 * in it), served by the registry as /assets/page.js. One ES module for browsers, with no server,
 * database, CLI or Node-only code in it. (The SDK's own builds: sdk-package.ts.)
 */
import { build } from 'esbuild';

// The page is served as one file within a CSP that allows only same-origin scripts: no source map
// or linked licence file to fetch (licences go at the end of the file instead).
const page = await build({
  entryPoints: ['src/page/main.ts'],
  outfile: 'dist/assets/page.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  metafile: true,
  // tweetnacl falls back to require('crypto') only where there is no WebCrypto; never in a browser.
  external: ['crypto'],
});
const inputs = Object.keys(page.metafile.inputs);
const nodeOnly = inputs.filter((input) => input.startsWith('node:') || /src\/(server|db|cli|node|mirror)\//.test(input));
if (nodeOnly.length > 0) throw new Error(`the lookup page bundle pulled in server or Node-only code: ${nodeOnly.join(', ')}`);
console.log(`lookup page built (${inputs.length} modules)`);
