// The API reference at /docs in headless Chromium: it fits a 390 px phone with every example open,
// it shows the reference before the navigation on a phone and beside it on a desktop, and the
// icon the page links is one Chromium can draw.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

// describe.skip, not describe.skipIf: the Jest-compatible subset (COMMON.md).
const describeInChromium = HAVE_CHROMIUM ? describe : describe.skip;

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

describeInChromium('/docs in headless Chromium', () => {
  let registry: TestRegistry;
  let browser: Browser;

  beforeAll(async () => {
    registry = await startTestRegistry();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await registry?.close();
  });

  /** Opens /docs at a viewport; `problems` collects console errors, page errors and failed requests. */
  async function open(viewport: { width: number; height: number }): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    const response = await page.goto(`${registry.url}/docs`);
    expect(response?.status()).toBe(200);
    return { page, problems, close: () => context.close() };
  }

  /** How far the document is wider than the window (0 when it fits), and the widest offenders. */
  const overflow = (page: Page) =>
    page.evaluate(() => {
      const width = window.innerWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > width + 0.5)
        .slice(0, 5)
        .map((element) => `${element.tagName.toLowerCase()}.${element.className}: ${element.textContent?.slice(0, 40)}`);
      return { excess: document.scrollingElement!.scrollWidth - width, wide };
    });

  it('fits a 390 px phone, with every example open', async () => {
    const { page, problems, close } = await open(PHONE);
    expect(await overflow(page)).toEqual({ excess: 0, wide: [] });
    const opened = await page.evaluate(() => {
      const all = [...document.querySelectorAll('details')];
      for (const details of all) details.open = true;
      return all.length;
    });
    expect(opened).toBeGreaterThan(50);
    expect(await overflow(page)).toEqual({ excess: 0, wide: [] });
    expect(problems).toEqual([]);
    await close();
  });

  it('shows the reference before the navigation on a phone, and a link down to it', async () => {
    const { page, close } = await open(PHONE);
    const layout = await page.evaluate(() => {
      const top = (selector: string) => document.querySelector(selector)!.getBoundingClientRect().top + window.scrollY;
      return { header: top('header'), main: top('main'), nav: top('nav'), jumpVisible: (document.querySelector('.jump') as HTMLElement).offsetHeight > 0 };
    });
    expect(layout.header).toBeLessThan(layout.main);
    expect(layout.main).toBeLessThan(layout.nav);
    // The first screen is the reference: its overview starts within it.
    expect(layout.main).toBeLessThan(PHONE.height / 2);
    expect(layout.jumpVisible).toBe(true);
    await page.click('.jump a');
    expect(await page.evaluate(() => Math.abs(document.querySelector('nav')!.getBoundingClientRect().top) < 2)).toBe(true);
    await close();
  });

  it('puts the navigation beside the reference on a desktop, and fits it too', async () => {
    const { page, problems, close } = await open(DESKTOP);
    const boxes = await page.evaluate(() => {
      const box = (selector: string) => document.querySelector(selector)!.getBoundingClientRect();
      return { nav: box('nav').toJSON(), main: box('main').toJSON(), jumpVisible: (document.querySelector('.jump') as HTMLElement).offsetHeight > 0 };
    });
    expect(boxes.nav.right).toBeLessThanOrEqual(boxes.main.left);
    expect(Math.abs(boxes.nav.top - boxes.main.top)).toBeLessThan(2);
    expect(boxes.jumpVisible).toBe(false);
    expect(await overflow(page)).toEqual({ excess: 0, wide: [] });
    expect(problems).toEqual([]);
    await close();
  });

  it('links an icon that Chromium decodes, at both sizes the file holds', async () => {
    const { page, close } = await open(DESKTOP);
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('/favicon.ico');
    const decoded = await page.evaluate(async () => {
      const image = new Image();
      image.src = '/favicon.ico';
      await image.decode();
      return { width: image.naturalWidth, height: image.naturalHeight };
    });
    expect([16, 32]).toContain(decoded.width);
    expect(decoded.height).toBe(decoded.width);
    await close();
  });
});
