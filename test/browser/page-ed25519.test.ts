// The lookup page under the Ed25519 rule (DESIGN.md §1.1), in headless Chromium: on a log where a
// mixed-order key and a proof with a small-order R were planted (test/helpers/planted-log.ts), the
// page verifies the honest identity and fails the planted ones with the SDK's code, showing no keys.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IdentityRecord } from '../../src/protocol/identity.js';
import { launchChromium } from '../helpers/browser.js';
import { constructedSigner, defectiveSignerFor, genesisWith } from '../helpers/forged-records.js';
import { api } from '../helpers/http.js';
import { newIdentity } from '../helpers/identities.js';
import { freshContext, openTab, settledState } from '../helpers/lookup-page.js';
import { plantIdentityRecord } from '../helpers/planted-log.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

let registry: TestRegistry;
let browser: Browser;
let honest: IdentityRecord;
let mixed: IdentityRecord;
let smallR: IdentityRecord;

beforeAll(async () => {
  registry = await startTestRegistry();
  honest = (await newIdentity({ quickKeys: true, name: 'Honest' })).head;
  expect((await api(registry.url).post('/v1/users', honest)).status).toBe(201);
  const mixedOrderKey = loadVectors().invalid.cases.find((c) => c.id === 'mixed-order-key')!;
  mixed = (await genesisWith({ signing: constructedSigner(mixedOrderKey.construction) })).record;
  smallR = (await genesisWith({ signing: defectiveSignerFor((await newIdentity({ quickKeys: true })).signing, 'small-order-r') })).record;
  await plantIdentityRecord(registry, mixed);
  await plantIdentityRecord(registry, smallR);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await registry?.close();
}, 120_000);

async function pageFor(userId: string): Promise<{ state: string; code: string | null; keys: number }> {
  const context = await freshContext(browser);
  try {
    const tab = await openTab(context);
    await tab.page.goto(`${registry.url}/u/${userId}`);
    const state = await settledState(tab.page);
    const code = state === 'failed' ? await tab.page.locator('[data-code]').textContent() : null;
    return { state, code, keys: await tab.page.locator('[data-key]').count() };
  } finally {
    await context.close();
  }
}

describe('the lookup page on a log holding keys and signatures outside the rule', () => {
  it('verifies the honest identity', async () => {
    expect(await pageFor(honest.userId)).toMatchObject({ state: 'verified', code: null });
  });

  it('fails the mixed-order key with INVALID_RECORD and the small-order R with BAD_SIGNATURE, showing no keys', async () => {
    expect(await pageFor(mixed.userId)).toEqual({ state: 'failed', code: 'INVALID_RECORD', keys: 0 });
    expect(await pageFor(smallR.userId)).toEqual({ state: 'failed', code: 'BAD_SIGNATURE', keys: 0 });
  });
});
