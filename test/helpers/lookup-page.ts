/**
 * Identities for the lookup page's tests and screenshots, registered through the SDK: one with a
 * rotated key and two devices, one revoked, one recovered after a theft (so its history has a
 * nullified record) — and a Chromium tab helper that records every request the page makes.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  createDeviceRecord,
  createIdentityRecord,
  createSuccessorRecord,
  generateBoxKeyPair,
  generateIdentityKeys,
  generateSigningKeyPair,
  RegistryClient,
  type IdentityKeys,
  type IdentityRecord,
  type SigningKeyPair,
} from '../../src/sdk/index.js';
import { formatTimestamp } from '../../src/protocol/time.js';
import type { TestRegistry } from './registry.js';

export interface PageIdentity {
  userId: string;
  keys: IdentityKeys;
  /** The current signing key (after any rotation). */
  signing: SigningKeyPair;
  records: IdentityRecord[];
}

export interface PageFixtures {
  /** Two records (a key rotation) and two devices. */
  alice: PageIdentity;
  /** Genesis, then a revocation. */
  bob: PageIdentity & { revocation: IdentityRecord };
  /** Genesis, a thief's takeover, the owner's recovery: the takeover is nullified. */
  carol: PageIdentity & { takeover: IdentityRecord; takeoverIndex: number };
}

export async function registerPageFixtures(registry: TestRegistry): Promise<PageFixtures> {
  const client = new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });

  const aliceKeys = generateIdentityKeys();
  const aliceGenesis = await createIdentityRecord(aliceKeys, { name: 'Alice Example' });
  await client.register(aliceGenesis);
  const aliceSigning = generateSigningKeyPair();
  const aliceRotation = await createSuccessorRecord({ previous: aliceGenesis, signingKey: aliceSigning, signer: aliceKeys.rotation });
  await client.submit(aliceRotation);
  for (const device of [
    { name: 'Laptop', addresses: ['https://alice-laptop.example:4443', '192.168.1.20:5000'] },
    { name: 'Phone', addresses: ['192.168.1.21:5000'], expiresAt: formatTimestamp(Date.now() + 30 * 86_400_000) },
  ]) {
    await client.publishDevice(await createDeviceRecord({ userId: aliceGenesis.userId, signingKey: aliceSigning, ...device }));
  }

  const bobKeys = generateIdentityKeys();
  const bobGenesis = await createIdentityRecord(bobKeys, { name: 'Bob Revoked' });
  await client.register(bobGenesis);
  const revocation = await createSuccessorRecord({ previous: bobGenesis, signingKey: bobKeys.signing, signer: bobKeys.rotation, status: 'revoked' });
  await client.submit(revocation);

  const carolKeys = generateIdentityKeys();
  const carolGenesis = await createIdentityRecord(carolKeys, { name: 'Carol Recovered' });
  await client.register(carolGenesis);
  const thief = { signing: generateSigningKeyPair(), box: generateBoxKeyPair(), rotation: generateSigningKeyPair() };
  const takeover = await createSuccessorRecord({
    previous: carolGenesis,
    signingKey: thief.signing,
    boxKey: thief.box,
    rotationKeys: [thief.rotation.publicKey],
    signer: carolKeys.rotation,
  });
  const takeoverReceipt = await client.submit(takeover);
  const carolSigning = generateSigningKeyPair();
  const { record: recovery } = await client.recover({
    userId: carolGenesis.userId,
    undoFrom: takeoverReceipt.hash,
    signer: carolKeys.recovery,
    signingKey: carolSigning,
    boxKey: generateBoxKeyPair(),
    rotationKeys: [carolKeys.recovery.publicKey, generateSigningKeyPair().publicKey],
  });

  return {
    alice: { userId: aliceGenesis.userId, keys: aliceKeys, signing: aliceSigning, records: [aliceGenesis, aliceRotation] },
    bob: { userId: bobGenesis.userId, keys: bobKeys, signing: bobKeys.signing, records: [bobGenesis, revocation], revocation },
    carol: {
      userId: carolGenesis.userId,
      keys: carolKeys,
      signing: carolSigning,
      records: [carolGenesis, recovery],
      takeover,
      takeoverIndex: takeoverReceipt.index,
    },
  };
}

/** A tab that records every request it makes and every script error or CSP report it logs. */
export interface Tab {
  page: Page;
  requests: Array<{ method: string; url: string }>;
  problems: string[];
}

export async function openTab(context: BrowserContext): Promise<Tab> {
  const page = await context.newPage();
  const tab: Tab = { page, requests: [], problems: [] };
  page.on('request', (request) => tab.requests.push({ method: request.method(), url: request.url() }));
  page.on('pageerror', (error) => tab.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of (404|5\d\d)/.test(message.text())) tab.problems.push(`console: ${message.text()}`);
  });
  return tab;
}

/** A fresh browser profile (its own localStorage), as a first-time visitor has. */
export function freshContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
}

/** Waits until the page's result area settles in a state other than loading. */
export async function settledState(page: Page): Promise<string> {
  const result = page.locator('#result');
  await page.waitForFunction(() => {
    const state = document.getElementById('result')?.dataset['state'];
    return state !== undefined && state !== 'loading' && state !== 'idle';
  });
  return (await result.getAttribute('data-state')) ?? '';
}
