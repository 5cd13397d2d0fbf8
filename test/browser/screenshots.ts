/**
 * Screenshots of the lookup page's main states and of the API reference at /docs, for the README:
 * `npm run screenshots` (both), `npm run screenshots -- page` or `npm run screenshots -- docs`.
 *
 * Starts a registry on a throwaway database (embedded, or a schema in DATABASE_URL), registers the
 * page's test identities, and saves PNGs at a desktop (1280×800) and a phone (390×844) viewport
 * into docs/screenshots/: the lookup page's states full-page; /docs as the first screen and as one
 * operation with its examples (the whole page is tens of thousands of pixels long). Keys are fresh
 * on every run, so the lookup page images differ in their keys and times only.
 */
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { newPeersId } from '../../src/protocol/ids.js';
import { HAVE_CHROMIUM, CHROMIUM_PATH, launchChromium } from '../helpers/browser.js';
import { registerPageFixtures, settledState } from '../helpers/lookup-page.js';
import { startTestRegistry } from '../helpers/registry.js';
import { startTamperingProxy } from '../helpers/tampering-proxy.js';

const OUT = new URL('../../docs/screenshots/', import.meta.url);

const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  narrow: { width: 390, height: 844 },
} as const;

if (!HAVE_CHROMIUM) {
  console.error(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  process.exit(1);
}

const only = process.argv[2];
if (only !== undefined && only !== 'page' && only !== 'docs') {
  console.error(`usage: screenshots.ts [page|docs] (not "${only}")`);
  process.exit(2);
}

mkdirSync(OUT, { recursive: true });
const registry = await startTestRegistry();
const proxy = await startTamperingProxy(registry.url);
let browser: Browser | undefined;
try {
  const fixtures = await registerPageFixtures(registry);
  const { alice } = fixtures;
  // The failed state: the proxy changes a record's name after its owner signed it.
  proxy.tamper = ({ path, body }) => {
    if (path === `/v1/users/${alice.userId}`) (body as { entries: Array<{ record: { name: string } }> }).entries[0]!.record.name = 'Mallory';
    return body;
  };
  browser = await launchChromium();

  const shots: Array<{ name: string; url: string; revisit?: boolean; dark?: boolean; only?: keyof typeof VIEWPORTS }> = [
    // A return visit: the pinned key and an earlier checkpoint to compare with.
    { name: 'verified', url: `${registry.url}/u/${alice.userId}`, revisit: true },
    { name: 'verified-dark', url: `${registry.url}/u/${alice.userId}`, revisit: true, dark: true, only: 'desktop' },
    { name: 'failed', url: `${proxy.url}/u/${alice.userId}` },
    { name: 'not-found', url: `${registry.url}/u/${newPeersId()}` },
    { name: 'revoked', url: `${registry.url}/u/${fixtures.bob.userId}` },
    { name: 'recovered', url: `${registry.url}/u/${fixtures.carol.userId}`, only: 'desktop' },
  ];
  for (const shot of only === 'docs' ? [] : shots) {
    for (const [width, viewport] of Object.entries(VIEWPORTS)) {
      if (shot.only !== undefined && shot.only !== width) continue;
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1, colorScheme: shot.dark === true ? 'dark' : 'light', reducedMotion: 'reduce' });
      const page = await context.newPage();
      await page.goto(shot.url);
      await settledState(page);
      if (shot.revisit === true) {
        await page.reload();
        await settledState(page);
      }
      const file = new URL(`${shot.name}-${width}.png`, OUT);
      await page.screenshot({ path: file.pathname, fullPage: true });
      console.log(`wrote ${file.pathname.replace(`${process.cwd()}/`, '')}`);
      await context.close();
    }
  }

  // The API reference: its first screen, and the operation a client starts with, examples open.
  for (const [width, viewport] of only === 'page' ? [] : Object.entries(VIEWPORTS)) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await page.goto(`${registry.url}/docs`);
    const top = new URL(`docs-${width}.png`, OUT);
    await page.screenshot({ path: top.pathname });
    const operation = new URL(`docs-operation-${width}.png`, OUT);
    await page.locator('#op-registerIdentity').screenshot({ path: operation.pathname });
    for (const file of [top, operation]) console.log(`wrote ${file.pathname.replace(`${process.cwd()}/`, '')}`);
    await context.close();
  }
} finally {
  await browser?.close();
  await proxy.close();
  await registry.close();
}
