/**
 * The lookup page's script: the esbuild bundle of src/page/main.ts that `npm run build` writes to
 * dist/assets/page.js (src/build/bundle.ts). This module sits three levels below the package root
 * in both src/ (tsx, tests) and dist/ (the build), so the same relative URL finds the bundle.
 */
import { readFileSync } from 'node:fs';

const PAGE_SCRIPT_FILE = new URL('../../../dist/assets/page.js', import.meta.url);

/**
 * Stands in when the bundle is missing (src/ run without a build): the page then says so instead
 * of silently showing nothing, and nothing is ever marked verified.
 */
const MISSING_SCRIPT = `const status = document.getElementById('status');
const result = document.getElementById('result');
if (status && result) {
  result.hidden = false;
  result.dataset.state = 'registry-error';
  status.textContent = 'This registry was started without the page script (run npm run build): nothing can be verified.';
}
`;

/** Reads the bundle once, when the router is built. */
export function loadPageScript(file: URL = PAGE_SCRIPT_FILE): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return MISSING_SCRIPT;
    throw error;
  }
}
