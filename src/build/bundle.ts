/**
 * Builds the bundles after `tsc` has emitted the ESM build (dist/sdk/*.js):
 * - dist/sdk/index.cjs, dist/sdk/node/index.cjs: CommonJS for `require('peerkeys/sdk')`, with the
 *   ESM-only dependencies bundled in;
 * - dist/sdk/peerkeys-sdk.browser.js: one ES module for browsers, with no Node built-in in it;
 * - dist/assets/page.js: the lookup page's script (src/page/main.ts with the SDK in it), served
 *   by the registry as /assets/page.js.
 */
import { build, type BuildOptions } from 'esbuild';

const common = { bundle: true, sourcemap: true, target: 'es2022', legalComments: 'linked' } as const;

const forBrowsers = {
  format: 'esm',
  platform: 'browser',
  minify: true,
  metafile: true,
  // tweetnacl falls back to require('crypto') only where there is no WebCrypto; never in a browser.
  external: ['crypto'],
} satisfies BuildOptions;

/** A browser bundle must hold no server, database, CLI or Node-only code. */
function assertBrowserOnly(name: string, inputs: string[]): void {
  const nodeOnly = inputs.filter((input) => input.startsWith('node:') || /src\/(server|db|cli|node|mirror)\//.test(input));
  if (nodeOnly.length > 0) throw new Error(`the ${name} pulled in server or Node-only code: ${nodeOnly.join(', ')}`);
}

await build({ ...common, entryPoints: ['src/sdk/index.ts'], outfile: 'dist/sdk/index.cjs', format: 'cjs', platform: 'node' });
await build({ ...common, entryPoints: ['src/sdk/node/index.ts'], outfile: 'dist/sdk/node/index.cjs', format: 'cjs', platform: 'node' });
const browser = await build({ ...common, ...forBrowsers, entryPoints: ['src/sdk/index.ts'], outfile: 'dist/sdk/peerkeys-sdk.browser.js' });
const sdkInputs = Object.keys(browser.metafile.inputs);
assertBrowserOnly('SDK browser bundle', sdkInputs);

// The page is served as one file within a CSP that allows only same-origin scripts: no source map
// or linked licence file to fetch (licences go at the end of the file instead).
const page = await build({ ...forBrowsers, bundle: true, target: 'es2022', sourcemap: false, legalComments: 'eof', entryPoints: ['src/page/main.ts'], outfile: 'dist/assets/page.js' });
const pageInputs = Object.keys(page.metafile.inputs);
assertBrowserOnly('lookup page bundle', pageInputs);
console.log(`bundles built (${sdkInputs.length} modules in the SDK browser bundle, ${pageInputs.length} in the lookup page)`);
