// The lookup page says whether a user's id is bound to its genesis (DESIGN.md §1), as the SDK
// verified it in the browser: a self-certifying id, and an unbound one on a registry that admits
// any Peers id (USER_IDS=any, for existing Peers accounts).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, createIdentityRecord, generateIdentityKeys } from '../../src/sdk/index.js';
import { HAVE_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { freshContext, openTab, settledState } from '../helpers/lookup-page.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const inChromium = HAVE_CHROMIUM ? describe : describe.skip;

inChromium('the lookup page shows the id binding', () => {
  let registry: TestRegistry;
  let browser: Browser;
  let bound: string;
  let unbound: string;

  beforeAll(async () => {
    registry = await startTestRegistry({ env: { USER_IDS: 'any' } });
    const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
    const boundGenesis = await createIdentityRecord(generateIdentityKeys(), { name: 'Bound' });
    const unboundGenesis = await createIdentityRecord(generateIdentityKeys(), { name: 'Old Peers account', userId: '0000000000peersaccount000' });
    await client.register(boundGenesis);
    await client.register(unboundGenesis);
    [bound, unbound] = [boundGenesis.userId, unboundGenesis.userId];
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await registry?.close();
  }, 120_000);

  it.each([
    ['a self-certifying id', () => bound, 'self-certifying', 'Self-certifying'],
    ['an unbound id', () => unbound, 'unbound', 'Unbound'],
  ] as const)('for %s', async (_what, id, binding, label) => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    await tab.page.goto(`${registry.url}/u/${id()}`);
    expect(await settledState(tab.page)).toBe('verified');
    const fact = tab.page.locator('.identity [data-id-binding]');
    expect(await fact.getAttribute('data-id-binding')).toBe(binding);
    expect(await fact.locator('.tag').innerText()).toBe(label);
    expect(tab.problems).toEqual([]);
    await context.close();
  });
});
