// The read-only key lookup page (GET / and GET /u/{userId}): served within the strict CSP, and —
// in headless Chromium — verifying in the browser, with a state for each outcome and never a
// verified mark the browser did not earn.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newPeersId } from '../../src/protocol/ids.js';
import { keyFingerprint } from '../../src/sdk/index.js';
import { sendProblem } from '../../src/server/http/problem.js';
import { createRateLimiters } from '../../src/server/http/rate-limits.js';
import { securityHeaders } from '../../src/server/http/security.js';
import { logKeyFromSeed } from '../../src/node/log-key.js';
import { pageRouter } from '../../src/server/routes/page.js';
import { HAVE_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { request } from '../helpers/http.js';
import { freshContext, openTab, registerPageFixtures, settledState, type PageFixtures, type Tab } from '../helpers/lookup-page.js';
import { useTestRegistry } from '../helpers/registry.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';
import { expectWith } from '../helpers/expect-with.js';

// The browser (and the SDK registering the fixtures) need a port; the HTTP checks go through the app.
const registry = useTestRegistry({ listen: true });
let fixtures: PageFixtures;

beforeAll(async () => {
  fixtures = await registerPageFixtures(registry);
}, 120_000);

const CSP_DIRECTIVES = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"];

describe('the lookup page over HTTP', () => {
  it('serves / and /u/{userId} as the same HTML, with the strict CSP and the registry key to pin', async () => {
    const client = registry.api;
    const home = await client.get('/');
    const user = await client.get(`/u/${fixtures.alice.userId}`);
    for (const reply of [home, user]) {
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = reply.headers.get('content-security-policy') ?? '';
      for (const directive of CSP_DIRECTIVES) expect(csp).toContain(directive);
      expect(csp).not.toContain('unsafe-inline');
      expect(reply.text).toContain(`<meta name="peerkeys-vkey" content="${registry.service.logKey.vkey}">`);
      // No inline script or style, no handler attributes, and every link or source on this origin.
      expect(reply.text).not.toMatch(/<script(?![^>]*\ssrc=)|\son[a-z]+=|<style|\sstyle=|javascript:/i);
      const urls = [...reply.text.matchAll(/(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]!);
      expect(urls.filter((url) => !url.startsWith('/') && !url.startsWith('#') && url !== 'data:,')).toEqual([]);
    }
    expect(user.text).toBe(home.text);
  });

  it('answers any id under /u/ with the page (the script says "invalid input"), never an error', async () => {
    const client = registry.api;
    for (const id of ['NOT-AN-ID', 'abc', 'x'.repeat(2000), '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '%00', 'a%2Fb']) {
      const reply = await client.get(`/u/${id}`);
      expectWith(reply.status, id).toBe(200);
      expect(reply.text).not.toContain('<script>alert');
    }
    // A broken percent-encoding is refused before any route runs: a 400 problem, not a 5xx.
    const broken = await client.get('/u/%E0%A4%A');
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('MALFORMED');
  });

  it('serves its script and stylesheet itself', async () => {
    const client = registry.api;
    const script = await client.get('/assets/page.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain('peerkeys-vkey');
    // Gzipped (it carries the SDK) when the browser accepts it; as it is otherwise.
    const gzipped = await request(registry.app, 'GET', '/assets/page.js', undefined, { 'accept-encoding': 'gzip' });
    const plain = await request(registry.app, 'GET', '/assets/page.js', undefined, { 'accept-encoding': 'identity' });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toContain('Accept-Encoding');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(gzipped.text).toBe(plain.text);
    const css = await client.get('/assets/page.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.text).not.toMatch(/@import|url\(/);
  });
});

(!HAVE_CHROMIUM ? describe.skip : describe)('the lookup page in headless Chromium', () => {
  let browser: Browser;
  let proxy: TamperingProxy;

  beforeAll(async () => {
    browser = await launchChromium();
    proxy = await startTamperingProxy(registry.url);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
  }, 120_000);

  /** Every request the tab made went to the page's own origin, and only GETs; no script errors or CSP reports. */
  function expectSameOriginReadsOnly(tab: Tab, origin: string): void {
    expect(tab.requests.length).toBeGreaterThan(0);
    for (const request of tab.requests) {
      expectWith(new URL(request.url).origin, request.url).toBe(origin);
      expectWith(request.method, request.url).toBe('GET');
    }
    expect(tab.problems).toEqual([]);
  }

  const text = (page: Page, selector: string) => page.locator(selector).innerText();
  const marks = async (page: Page) =>
    Object.fromEntries(await page.locator('.check').evaluateAll((items) => items.map((li) => [li.getAttribute('data-check'), li.getAttribute('data-mark')])));

  it('verifies a user found by typing into the form and pressing Enter, with the right fingerprints', async () => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    const { page } = tab;
    const response = await page.goto(`${registry.url}/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

    // Keyboard only: Tab from the top of the page reaches the field (skip link, brand, API link).
    let presses = 0;
    while ((await page.evaluate(() => document.activeElement?.id)) !== 'user-id' && presses < 6) {
      await page.keyboard.press('Tab');
      presses++;
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('user-id');
    // Looking at the search page pins nothing: the first lookup is the first use.
    expect(await text(page, '#presented-vkey')).toBe(registry.service.logKey.vkey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    const { alice } = fixtures;
    await page.keyboard.type(alice.userId);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${registry.url}/u/${alice.userId}`);
    expect(await settledState(page)).toBe('verified');

    expect(await page.locator('#status').getAttribute('aria-live')).toBe('polite');
    expect(await text(page, '#status h2')).toBe('Verified in this browser');
    expect(await page.locator('.verified-mark').count()).toBe(1);
    expect(await text(page, '[data-key="signing"]')).toBe(keyFingerprint(alice.signing.publicKey));
    expect(await text(page, '[data-key="box"]')).toBe(keyFingerprint(alice.keys.box.publicKey));
    // Rotation keys strongest first: [recovery, rotation].
    expect(await text(page, '[data-key="rotation-0"]')).toBe(keyFingerprint(alice.keys.recovery.publicKey));
    expect(await text(page, '[data-key="rotation-1"]')).toBe(keyFingerprint(alice.keys.rotation.publicKey));
    expect(await text(page, '#identity-title')).toBe('Alice Example');

    // First lookup: the key is pinned on first use and there is no earlier checkpoint — notes, not passes.
    expect(await marks(page)).toEqual({
      'registry-key': 'note',
      signatures: 'passed',
      links: 'passed',
      inclusion: 'passed',
      checkpoint: 'passed',
      newest: 'passed',
      consistency: 'note',
      history: 'passed',
      devices: 'passed',
    });
    // How fresh: the newest record as of the checkpoint's signing time, in UTC.
    expect(await text(page, '#freshness')).toMatch(/^Newest record as of the checkpoint of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$/);
    const devices = await text(page, '.devices');
    for (const address of ['https://alice-laptop.example:4443', '192.168.1.20:5000', '192.168.1.21:5000']) expect(devices).toContain(address);
    expect(await page.locator('.device').count()).toBe(2);
    expect(await page.locator('.record').count()).toBe(2);
    expect(await page.locator('[data-nullified="true"]').count()).toBe(0);
    expect(await text(page, '#pinned-vkey')).toBe(registry.service.logKey.vkey);
    const log = await text(page, '.log');
    expect(log).toContain('test.example/peerkeys');
    expect(log).toMatch(/the checkpoint of \d+ entries/);

    // A second visit: the same pinned key, and a checkpoint checked against the one seen before.
    await page.reload();
    expect(await settledState(page)).toBe('verified');
    expect(await marks(page)).toMatchObject({ 'registry-key': 'passed', consistency: 'passed' });
    expectSameOriginReadsOnly(tab, registry.url);
    await context.close();
  });

  it('shows "not found" for an id nobody registered, proven absent as of a checkpoint', async () => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    await tab.page.goto(`${registry.url}/u/${newPeersId()}`);
    expect(await settledState(tab.page)).toBe('not-found');
    expect(await text(tab.page, '#status h2')).toBe('Not found');
    expect(await text(tab.page, '#status-message')).toMatch(/^No identity with this id, proven absent as of the checkpoint of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC:/);
    expect(await tab.page.locator('.verified-mark').count()).toBe(0);
    expectSameOriginReadsOnly(tab, registry.url);
    await context.close();
  });

  it('fails with UNVERIFIED_ABSENCE on a 404 without an absence proof for an identity that exists', async () => {
    const { alice } = fixtures;
    proxy.tamper = (exchange) => {
      if (exchange.path !== `/v1/users/${alice.userId}`) return exchange.body;
      exchange.status = 404;
      return { type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: 'no such user' };
    };
    try {
      const context = await freshContext(browser);
      const tab = await openTab(context);
      await tab.page.goto(`${proxy.url}/u/${alice.userId}`);
      expect(await settledState(tab.page)).toBe('failed');
      expect(await text(tab.page, '[data-code]')).toBe('UNVERIFIED_ABSENCE');
      expect(await text(tab.page, '#status-message')).toContain('did not prove it');
      expect(await tab.page.locator('.verified-mark, .identity, [data-key]').count()).toBe(0);
      await context.close();
    } finally {
      proxy.tamper = null;
    }
  });

  it('shows "invalid input" for a malformed id, typed or in the address, without asking the registry', async () => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    const { page } = tab;
    await page.goto(`${registry.url}/`);
    await page.locator('#user-id').focus();
    await page.keyboard.type('Not-An-Id');
    await page.keyboard.press('Enter');
    await page.locator('#result[data-state="invalid"]').waitFor();
    expect(page.url()).toBe(`${registry.url}/`);
    expect(await text(page, '#status h2')).toBe('Invalid input');
    expect(await page.locator('#user-id').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('user-id');

    await page.goto(`${registry.url}/u/abc`);
    expect(await settledState(page)).toBe('invalid');
    expect(await text(page, '#status-message')).toContain('exactly 25 characters');
    expect(tab.requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'))).toEqual([]);
    expectSameOriginReadsOnly(tab, registry.url);
    await context.close();
  });

  it('shows a revoked identity as revoked', async () => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    await tab.page.goto(`${registry.url}/u/${fixtures.bob.userId}`);
    expect(await settledState(tab.page)).toBe('revoked');
    expect(await text(tab.page, '#status h2')).toBe('Revoked identity');
    expect(await text(tab.page, '.identity')).toContain('Revoked');
    expect(await tab.page.locator('.verified-mark').count()).toBe(0);
    expect(await marks(tab.page)).toMatchObject({ signatures: 'passed', inclusion: 'passed', history: 'passed', devices: 'note' });
    expectSameOriginReadsOnly(tab, registry.url);
    await context.close();
  });

  it('marks the records a recovery nullified', async () => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    const { carol } = fixtures;
    await tab.page.goto(`${registry.url}/u/${carol.userId}`);
    expect(await settledState(tab.page)).toBe('verified');
    const nullified = tab.page.locator('.record[data-nullified="true"]');
    expect(await nullified.count()).toBe(1);
    expect(await nullified.getAttribute('data-index')).toBe(String(carol.takeoverIndex));
    expect(await nullified.innerText()).toContain('Nullified by a recovery');
    expect(await tab.page.locator('.record[data-nullified="false"]').count()).toBe(2);
    // The keys shown are the recovered ones, not the thief's.
    expect(await text(tab.page, '[data-key="signing"]')).toBe(keyFingerprint(carol.signing.publicKey));
    expect(await text(tab.page, '.history')).toContain('1 was nullified');
    expectSameOriginReadsOnly(tab, registry.url);
    await context.close();
  });

  /** The real page router on its own port, in front of an API the test plays. */
  async function pageFront(api: express.RequestHandler): Promise<{ url: string; close(): void }> {
    const app = express();
    app.use(securityHeaders({ hsts: false }));
    app.use(pageRouter(registry.service.logKey, createRateLimiters(registry.config.rateLimits, { redis: null, redisPrefix: '', logger: pino({ level: 'silent' }) })));
    app.use('/v1', api);
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  it('shows no verified mark while the audit history is still on its way, though the lookup verified', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const front = await pageFront(async (req, res) => {
      if (req.path.endsWith('/log')) await gate;
      const answer = await fetch(registry.url + req.originalUrl);
      res.status(answer.status).type(answer.headers.get('content-type') ?? 'text/plain').send(Buffer.from(await answer.arrayBuffer()));
    });
    try {
      const context = await freshContext(browser);
      const tab = await openTab(context);
      await tab.page.goto(`${front.url}/u/${fixtures.alice.userId}`);
      await tab.page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('audit history'));
      expect(await tab.page.locator('#result').getAttribute('data-state')).toBe('loading');
      expect(await tab.page.locator('.verified-mark, .check-passed, [data-key]').count()).toBe(0);
      release();
      expect(await settledState(tab.page)).toBe('verified');
      expect(await tab.page.locator('.verified-mark').count()).toBe(1);
      await context.close();
    } finally {
      release();
      front.close();
    }
  });

  it('shows a registry error when the API answers 5xx', async () => {
    const front = await pageFront((_req, res) => {
      res.set('Retry-After', '2');
      sendProblem(res, 'UNAVAILABLE', 'the registry cannot reach its database right now; retry shortly');
    });
    try {
      const context = await freshContext(browser);
      const tab = await openTab(context);
      await tab.page.goto(`${front.url}/u/${fixtures.alice.userId}`);
      expect(await settledState(tab.page)).toBe('registry-error');
      expect(await text(tab.page, '#status h2')).toBe('Registry error');
      expect(await text(tab.page, '[data-code]')).toBe('503 UNAVAILABLE');
      expect(await tab.page.locator('.verified-mark, [data-key], .check').count()).toBe(0);
      expectSameOriginReadsOnly(tab, front.url);
      await context.close();
    } finally {
      front.close();
    }
  });

  it('fails on a tampered lookup, shows the code and its meaning, and no verified mark or keys', async () => {
    const { alice } = fixtures;
    proxy.tamper = ({ path, body }) => {
      if (path === `/v1/users/${alice.userId}`) (body as { entries: Array<{ record: { name: string } }> }).entries[0]!.record.name = 'Mallory';
      return body;
    };
    try {
      const context = await freshContext(browser);
      const tab = await openTab(context);
      await tab.page.goto(`${proxy.url}/u/${alice.userId}`);
      expect(await settledState(tab.page)).toBe('failed');
      expect(await text(tab.page, '#status h2')).toBe('Verification failed');
      expect(await text(tab.page, '[data-code]')).toBe('BAD_SIGNATURE');
      expect(await text(tab.page, '#status-message')).toContain('signature does not verify');
      expect(await tab.page.locator('.verified-mark, .identity, .devices, .history, [data-key]').count()).toBe(0);
      expect(await marks(tab.page)).toMatchObject({ signatures: 'failed', inclusion: 'not-checked', checkpoint: 'not-checked', history: 'not-checked' });
      expect(await tab.page.locator('.check-passed').count()).toBe(0);
      expectSameOriginReadsOnly(tab, proxy.url);
      await context.close();
    } finally {
      proxy.tamper = null;
    }
  });

  it('fails with STALE_ANSWER on an old head shown with the current checkpoint, and marks the newest-record check', async () => {
    const { alice } = fixtures;
    // Alice's genesis as the head, with the current checkpoint, its map proof and a valid inclusion proof.
    const current = await (await fetch(`${registry.url}/v1/users/${alice.userId}`)).json();
    const genesis = current.entries[0];
    const inclusion = await (await fetch(`${registry.url}/v1/log/proof/inclusion?index=${genesis.index}&size=${current.proof.size}`)).json();
    const { publicKey, publicBoxKey, rotationKeys, status } = genesis.record;
    const forged = { ...current, publicKey, publicBoxKey, rotationKeys, status, entries: [genesis], proof: inclusion };
    proxy.tamper = ({ path, body }) => (path === `/v1/users/${alice.userId}` ? forged : body);
    try {
      const context = await freshContext(browser);
      const tab = await openTab(context);
      await tab.page.goto(`${proxy.url}/u/${alice.userId}`);
      expect(await settledState(tab.page)).toBe('failed');
      expect(await text(tab.page, '[data-code]')).toBe('STALE_ANSWER');
      expect(await tab.page.locator('.verified-mark, .identity, [data-key], #freshness').count()).toBe(0);
      expect(await marks(tab.page)).toMatchObject({ newest: 'failed', history: 'not-checked' });
      await context.close();
    } finally {
      proxy.tamper = null;
    }
  });

  it('fails when the lookup verifies but the audit history lies, with no verified mark', async () => {
    const { carol } = fixtures;
    // Mark the recovery nullified instead of the thief's record: replaying the chain disagrees.
    proxy.tamper = ({ path, body }) => {
      if (path === `/v1/users/${carol.userId}/log`) {
        for (const entry of (body as { entries: Array<{ nullified: boolean }> }).entries) entry.nullified = !entry.nullified;
      }
      return body;
    };
    try {
      const context = await freshContext(browser);
      const tab = await openTab(context);
      await tab.page.goto(`${proxy.url}/u/${carol.userId}`);
      expect(await settledState(tab.page)).toBe('failed');
      expect(await text(tab.page, '[data-code]')).toBe('CHAIN_BROKEN');
      expect(await tab.page.locator('.verified-mark, .identity, [data-key]').count()).toBe(0);
      // What the lookup proved was earned; the history was not.
      expect(await marks(tab.page)).toMatchObject({ signatures: 'passed', inclusion: 'passed', history: 'failed', devices: 'not-checked' });
      await context.close();
    } finally {
      proxy.tamper = null;
    }
  });

  it('fails when the registry presents another key, until the user re-pins — and then verifies against the pinned key only', async () => {
    const { alice } = fixtures;
    const realKey = registry.service.logKey.vkey;
    const otherKey = logKeyFromSeed('test.example/peerkeys', new Uint8Array(randomBytes(32))).vkey;
    const context = await freshContext(browser);
    const tab = await openTab(context);
    const { page } = tab;

    // First visit through the proxy's origin: the real key is pinned on first use.
    await page.goto(`${proxy.url}/u/${alice.userId}`);
    expect(await settledState(page)).toBe('verified');

    // Later the page presents another key: failed, nothing looked up.
    proxy.tamper = ({ body }) => (typeof body === 'string' ? body.replace(realKey, otherKey) : body);
    try {
      const before = tab.requests.length;
      await page.reload();
      expect(await settledState(page)).toBe('failed');
      expect(await text(page, '#status h2')).toBe('Verification failed: registry key changed');
      expect(await text(page, '[data-code]')).toBe('REGISTRY_KEY_CHANGED');
      expect(await page.locator('.verified-mark, [data-key]').count()).toBe(0);
      expect(await text(page, '.key-change')).toContain(otherKey);
      expect(tab.requests.slice(before).filter((r) => new URL(r.url).pathname.startsWith('/v1/'))).toEqual([]);

      // The user explicitly trusts the new key: the registry's checkpoints are not signed by it.
      await page.locator('#trust-presented').focus();
      await page.keyboard.press('Enter');
      await page.locator('[data-code="BAD_CHECKPOINT"]').waitFor();
      expect(await page.locator('#result').getAttribute('data-state')).toBe('failed');
      expect(await text(page, '#pinned-vkey')).toBe(otherKey);
    } finally {
      proxy.tamper = null;
    }

    // The registry presents its real key again, but this browser now holds the other: still failed.
    await page.reload();
    expect(await settledState(page)).toBe('failed');
    expect(await text(page, '[data-code]')).toBe('REGISTRY_KEY_CHANGED');

    // Pasting the real key (as from a trusted source) pins it again: verified, pinned by hand.
    await page.locator('.pin-details summary').click();
    await page.locator('#pin-input').fill(realKey);
    await page.locator('#pin-form button').click();
    await page.locator('#result[data-state="verified"]').waitFor();
    expect(await text(page, '#pinned-vkey')).toBe(realKey);
    expect(await text(page, '#pinned-how')).toContain('by you');
    expect(await marks(page)).toMatchObject({ 'registry-key': 'passed', checkpoint: 'passed' });
    await context.close();
  });
});
