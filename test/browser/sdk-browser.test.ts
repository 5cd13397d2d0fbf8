// The SDK's browser build in a real browser: look up and verify against a registry on another
// origin (CORS), with WebCrypto Ed25519 and with the tweetnacl fallback, and catch a lie.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RegistryClient, createIdentityRecord, generateIdentityKeys, type IdentityRecord } from '../../src/sdk/index.js';
import { HAVE_CHROMIUM, launchChromium } from '../helpers/browser.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';
import { useTestRegistry } from '../helpers/registry.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

const BUNDLE = new URL('../../dist/sdk-package/browser/peerkeys-sdk.js', import.meta.url);

(!HAVE_CHROMIUM ? describe.skip : describe)('the SDK browser build in headless Chromium', () => {
  // The browser reaches the registry over HTTP: it listens.
  const registry = useTestRegistry({ listen: true });
  let proxy: TamperingProxy;
  let page: http.Server;
  let pageUrl: string;
  let browser: Browser;
  let genesis: IdentityRecord;

  beforeAll(async () => {
    proxy = await startTamperingProxy(registry.url);
    const keys = generateIdentityKeys();
    genesis = await createIdentityRecord(keys, { name: 'Browser Bob' });
    await new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey }).register(genesis);
    const bundle = readFileSync(BUNDLE);
    // A page on its own origin that loads the bundle and exposes it to the test.
    page = http.createServer((req, res) => {
      if (req.url === '/sdk.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module">import * as sdk from "/sdk.js"; window.sdk = sdk; window.ready = true;</script>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => page?.close(resolve));
    await proxy?.close();
  }, 120_000);

  async function lookupInBrowser(url: string, fallback: boolean) {
    const tab = await browser.newPage();
    try {
      await tab.goto(pageUrl);
      await tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      return await tab.evaluate(
        async ({ url, vkey, userId, fallback }) => {
          const sdk = (window as unknown as { sdk: typeof import('../../src/sdk/index.js') }).sdk;
          const verifier = fallback ? sdk.tweetnaclVerify : await sdk.defaultVerifier();
          const client = new sdk.RegistryClient({ url, vkey, verify: verifier, store: new sdk.LocalStorageStore() });
          try {
            const identity = await client.lookup(userId);
            return { ok: true, publicKey: identity.publicKey, usesWebCrypto: verifier !== sdk.tweetnaclVerify, stored: localStorage.length > 0 };
          } catch (error) {
            return { ok: false, code: (error as { code?: string }).code };
          }
        },
        { url, vkey: registry.service.logKey.vkey, userId: genesis.userId, fallback },
      );
    } finally {
      await tab.close();
    }
  }

  it('verifies a lookup with WebCrypto Ed25519', async () => {
    expect(await lookupInBrowser(registry.url, false)).toEqual({ ok: true, publicKey: genesis.publicKey, usesWebCrypto: true, stored: true });
  });

  it('verifies a lookup with the tweetnacl fallback', async () => {
    expect(await lookupInBrowser(registry.url, true)).toEqual({ ok: true, publicKey: genesis.publicKey, usesWebCrypto: false, stored: true });
  });

  it('replays the shared Ed25519 vectors: WebCrypto and tweetnacl accept every valid case and refuse every invalid one', async () => {
    const { valid, invalid } = loadVectors();
    const cases = [...valid.cases, ...invalid.cases].map((c) => ({ id: c.id, valid: c.defect === null, publicKey: c.publicKey, message: c.message, signature: c.signature }));
    const tab = await browser.newPage();
    try {
      await tab.goto(pageUrl);
      await tab.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
      const answers = await tab.evaluate(async (cases) => {
        const sdk = (window as unknown as { sdk: typeof import('../../src/sdk/index.js') }).sdk;
        const bytes = (hex: string) => new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
        const webCrypto = sdk.webCryptoVerifier(crypto.subtle);
        const out: Array<{ id: string; expected: boolean; webCrypto: boolean; tweetnacl: boolean; rawWebCrypto: boolean }> = [];
        for (const c of cases) {
          const [key, message, signature] = [bytes(c.publicKey), bytes(c.message), bytes(c.signature)];
          let rawWebCrypto = false;
          try {
            const imported = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
            rawWebCrypto = await crypto.subtle.verify({ name: 'Ed25519' }, imported, signature, message);
          } catch {
            rawWebCrypto = false;
          }
          out.push({ id: c.id, expected: c.valid, webCrypto: await webCrypto(key, message, signature), tweetnacl: await sdk.tweetnaclVerify(key, message, signature), rawWebCrypto });
        }
        return out;
      }, cases);
      for (const answer of answers) expect({ id: answer.id, webCrypto: answer.webCrypto, tweetnacl: answer.tweetnacl }).toEqual({ id: answer.id, webCrypto: answer.expected, tweetnacl: answer.expected });
      // Chromium's own WebCrypto, without the rule, accepts the mixed-order key's signature: the rule is what refuses it.
      expect(answers.find((a) => a.id === 'mixed-order-key')!.rawWebCrypto).toBe(true);
    } finally {
      await tab.close();
    }
  });

  it('refuses a tampered answer', async () => {
    proxy.tamper = ({ path, body }) => {
      if (path === `/v1/users/${genesis.userId}`) (body as { entries: Array<{ record: { name: string } }> }).entries[0]!.record.name = 'Mallory';
      return body;
    };
    expect(await lookupInBrowser(proxy.url, false)).toEqual({ ok: false, code: 'BAD_SIGNATURE' });
  });
});
