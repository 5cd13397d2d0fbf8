/**
 * The lookup page's HTML (GET / and GET /u/{userId}): a static skeleton — the search form, an
 * empty result area with its aria-live status region, and the registry-key panel — that the
 * page's script (src/page/main.ts) fills in after verifying in the browser. The same document
 * serves both routes; the script reads the userId from the address.
 *
 * The only value in it is the registry's verifier key, HTML-escaped, in
 * `<meta name="peerkeys-vkey">`: what the page pins on first use. No inline script or style and
 * nothing from another origin (the CSP in server/http/security.ts forbids both).
 */
import { escapeHtml } from '../docs/api-reference.js';

export const PAGE_SCRIPT_PATH = '/assets/page.js';
export const PAGE_STYLESHEET_PATH = '/assets/page.css';

export function renderLookupPage(options: { vkey: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="peerkeys-vkey" content="${escapeHtml(options.vkey)}">
<title>Key lookup · peerkeys</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PAGE_STYLESHEET_PATH}">
<script type="module" src="${PAGE_SCRIPT_PATH}"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
  <div class="wrap">
    <a class="brand" href="/">peerkeys</a>
    <nav aria-label="Registry"><a href="/docs">API reference</a></nav>
  </div>
</header>
<main id="main" class="wrap" tabindex="-1">
  <h1>Key lookup</h1>
  <p class="lead">Look up the keys a user published in this registry. Your browser checks every signature and log proof itself, before it shows you anything.</p>
  <form id="search" class="search" role="search" novalidate>
    <label for="user-id">User id</label>
    <p id="user-id-hint" class="hint">A Peers id: 25 characters, digits 0–9 and lower-case letters a–z.</p>
    <div class="search-row">
      <input id="user-id" name="userId" type="text" autocomplete="off" autocapitalize="none" autocorrect="off" spellcheck="false" aria-describedby="user-id-hint">
      <button type="submit">Look up</button>
    </div>
  </form>
  <noscript><p class="warning">This page verifies keys in your browser and needs JavaScript. Without it, read the raw API: <code>GET /v1/users/{userId}</code>.</p></noscript>
  <section id="result" class="result" aria-labelledby="status-title" data-state="idle" hidden>
    <div id="status" class="status" role="status" aria-live="polite" aria-atomic="true"></div>
    <div id="details" class="details"></div>
  </section>
  <section id="registry-key" class="card registry-key" aria-labelledby="registry-key-title">
    <h2 id="registry-key-title">Registry key</h2>
    <p>This page is served by the registry it checks, so it cannot prove that registry honest by itself: it pins the registry’s key the first time you use it (trust on first use) and fails if the key ever changes — for real assurance, pin the key you got from a source you trust.</p>
    <div id="pin-status"></div>
    <details class="pin-details">
      <summary>Pin the key you expect</summary>
      <form id="pin-form" class="pin-form" novalidate>
        <label for="pin-input">Registry key (vkey), as its operator publishes it</label>
        <textarea id="pin-input" rows="3" autocomplete="off" autocapitalize="none" spellcheck="false" aria-describedby="pin-message"></textarea>
        <button type="submit">Pin this key</button>
        <p id="pin-message" class="hint" role="status"></p>
      </form>
    </details>
  </section>
</main>
<footer class="site-footer">
  <div class="wrap"><p>Read-only: this page only reads the registry’s public API. <a href="/docs">API reference</a> · <a href="/openapi.yaml">openapi.yaml</a></p></div>
</footer>
</body>
</html>
`;
}
