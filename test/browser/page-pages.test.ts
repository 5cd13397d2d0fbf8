// The lookup page reads lists in pages (DESIGN.md §6, "Pages"): on a registry whose page budget is
// 1 KiB, an identity's chain, audit history and devices each take several pages, and the page —
// verifying with the SDK in the browser — shows all of them, having asked for every page.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, createDeviceRecord, createIdentityRecord, createSuccessorRecord, generateIdentityKeys, generateSigningKeyPair, type IdentityRecord } from '../../src/sdk/index.js';
import { HAVE_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { freshContext, openTab, settledState } from '../helpers/lookup-page.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const inChromium = HAVE_CHROMIUM ? describe : describe.skip;

inChromium('the lookup page follows next', () => {
  let registry: TestRegistry;
  let browser: Browser;
  let userId: string;
  const records: IdentityRecord[] = [];
  const DEVICES = 5;

  beforeAll(async () => {
    registry = await startTestRegistry({ env: { PAGE_MAX_BYTES: '1024' } });
    const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
    const keys = generateIdentityKeys();
    records.push(await createIdentityRecord(keys, { name: 'Paged' }));
    await client.register(records[0]!);
    let signing = keys.signing;
    for (let i = 0; i < 4; i++) {
      signing = generateSigningKeyPair();
      records.push(await createSuccessorRecord({ previous: records[records.length - 1]!, signingKey: signing, signer: keys.rotation }));
      await client.submit(records[records.length - 1]!);
    }
    userId = records[0]!.userId;
    for (let i = 0; i < DEVICES; i++) {
      await client.publishDevice(await createDeviceRecord({ userId, name: `device ${i}`, addresses: [`https://device-${i}.example:8443`], signingKey: signing }));
    }
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await registry?.close();
  }, 120_000);

  it('shows the whole chain, history and device list, verified', async () => {
    const context = await freshContext(browser);
    const tab = await openTab(context);
    await tab.page.goto(`${registry.url}/u/${userId}`);
    expect(await settledState(tab.page)).toBe('verified');
    expect(await tab.page.locator('.record').count()).toBe(records.length);
    expect(await tab.page.locator('.device').count()).toBe(DEVICES);
    const asked = (path: string) => tab.requests.filter((r) => new URL(r.url).pathname === path).map((r) => new URL(r.url).searchParams.get('start'));
    // Each list took more than one page.
    expect(asked(`/v1/users/${userId}`).length).toBeGreaterThan(1);
    expect(asked(`/v1/users/${userId}/log`).length).toBeGreaterThan(1);
    expect(asked(`/v1/users/${userId}/devices`).length).toBeGreaterThan(1);
    expect(tab.problems).toEqual([]);
    await context.close();
  });
});
