/**
 * The lookup page's stylesheet, served as /assets/page.css (the CSP allows no inline styles). A
 * module rather than a .css file because the build copies only compiled code into dist/, which is
 * what the image ships (as server/docs/stylesheet.ts does).
 *
 * Light and dark schemes follow the system; every text colour has a contrast of at least 4.5:1
 * on every background it is used on (checked for both schemes), controls' borders at least 3:1.
 * States are never told by colour alone: each has its own mark and words.
 */
export const PAGE_STYLESHEET = `:root {
  color-scheme: light dark;
  --fg: #1b1d21;
  --muted: #505864;
  --bg: #ffffff;
  --panel: #f4f5f7;
  --line: #c3c8cf;
  --border: #6b7380;
  --link: #0a58a8;
  --on-link: #ffffff;
  --focus: #1a62d6;
  --ok: #136a2c;
  --ok-bg: #e9f6ed;
  --bad: #a61d17;
  --bad-bg: #fdeceb;
  --warn: #7a4700;
  --warn-bg: #fff3dc;
  --info: #1f4f8a;
  --info-bg: #edf3fc;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e8e9eb;
    --muted: #a9b0bb;
    --bg: #14161a;
    --panel: #1d2025;
    --line: #3a3f47;
    --border: #8a919c;
    --link: #7cb9ff;
    --on-link: #14161a;
    --focus: #7cb9ff;
    --ok: #6fd98a;
    --ok-bg: #11301c;
    --bad: #ff8f85;
    --bad-bg: #3b1614;
    --warn: #f2bb55;
    --warn-bg: #33260c;
    --info: #8fc1ff;
    --info-bg: #14263d;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif;
  color: var(--fg);
  background: var(--bg);
  display: flex;
  flex-direction: column;
  min-height: 100vh;
}
.wrap { width: 100%; max-width: 64rem; margin: 0 auto; padding: 0 1rem; }
@media (min-width: 48rem) { .wrap { padding: 0 2rem; } }
main { flex: 1; padding-bottom: 3rem; }
main:focus { outline: none; }
a { color: var(--link); text-underline-offset: 0.15em; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
code { font-family: var(--mono); font-size: 0.9em; overflow-wrap: anywhere; }
h1, h2, h3 { line-height: 1.25; }
h1 { font-size: clamp(1.6rem, 1.3rem + 1.2vw, 2.2rem); margin: 1.75rem 0 0.5rem; }
h2 { font-size: 1.3rem; margin: 0 0 0.75rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 0.5rem; }
h2 .subtle, h3 .subtle { font-weight: 400; font-size: 0.9rem; }
.lead { font-size: 1.1rem; margin: 0 0 1.5rem; max-width: 44rem; }
.subtle, .hint { color: var(--muted); }
.hint { margin: 0.15rem 0 0.5rem; font-size: 0.95rem; }
.warning { color: var(--warn); background: var(--warn-bg); padding: 0.5rem 0.75rem; border-radius: 6px; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0;
}
.skip-link { position: absolute; left: 0.5rem; top: -3rem; background: var(--bg); color: var(--link); padding: 0.5rem 0.75rem; z-index: 10; border: 2px solid var(--focus); }
.skip-link:focus { top: 0.5rem; }

/* Header and footer */
.site-header { border-bottom: 1px solid var(--line); background: var(--panel); }
.site-header .wrap { display: flex; align-items: center; justify-content: space-between; gap: 1rem; min-height: 3.25rem; }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--fg); text-decoration: none; letter-spacing: 0.01em; }
.site-footer { border-top: 1px solid var(--line); color: var(--muted); font-size: 0.9rem; }
.site-footer p { margin: 1rem 0; }

/* Forms */
label { display: block; font-weight: 600; }
input, textarea, button { font: inherit; color: inherit; }
input, textarea {
  width: 100%;
  min-height: 2.75rem;
  padding: 0.5rem 0.75rem;
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 6px;
}
input { font-family: var(--mono); letter-spacing: 0.02em; }
textarea { font-family: var(--mono); font-size: 0.9rem; resize: vertical; }
input[aria-invalid="true"], textarea[aria-invalid="true"] { border: 2px solid var(--bad); }
button {
  min-height: 2.75rem;
  padding: 0.5rem 1.25rem;
  border: 2px solid var(--link);
  border-radius: 6px;
  background: var(--link);
  color: var(--on-link);
  font-weight: 600;
  cursor: pointer;
}
button.secondary { background: transparent; color: var(--link); }
button:hover { filter: brightness(1.1); }
.search { max-width: 44rem; margin-bottom: 1.5rem; }
.search-row { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.search-row input { flex: 1 1 16rem; }
.search-row button { flex: 0 0 auto; }
@media (max-width: 30rem) { .search-row button { flex: 1 1 100%; } }

/* Cards and facts */
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1rem 1.25rem; margin: 1.25rem 0; background: var(--bg); }
@media (min-width: 48rem) { .card { padding: 1.25rem 1.5rem 1.5rem; } }
.card > h2 { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
.count { font-size: 0.85rem; font-weight: 600; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: 0 0.55rem; }
.facts { margin: 0.5rem 0; }
.facts > div { padding: 0.35rem 0; border-top: 1px solid var(--line); }
.facts > div:first-child { border-top: 0; }
.facts dt { font-weight: 600; color: var(--muted); font-size: 0.9rem; }
.facts dd { margin: 0; min-width: 0; }
@media (min-width: 48rem) {
  .facts > div { display: grid; grid-template-columns: 11rem minmax(0, 1fr); gap: 1rem; align-items: baseline; }
}
.tag { display: inline-block; font-size: 0.8rem; font-weight: 700; padding: 0.05rem 0.5rem; border-radius: 999px; border: 1px solid currentColor; white-space: nowrap; }
.tag-active { color: var(--ok); background: var(--ok-bg); }
.tag-revoked { color: var(--bad); background: var(--bad-bg); }
.tag-nullified { color: var(--warn); background: var(--warn-bg); }
.tag-current { color: var(--info); background: var(--info-bg); }
.tag-bound { color: var(--ok); background: var(--ok-bg); }
.tag-unbound { color: var(--warn); background: var(--warn-bg); }

/* Keys: the fingerprint is what people compare, the key itself is there to copy */
.keys { margin: 0; }
.keys > div { padding: 0.6rem 0; border-top: 1px solid var(--line); }
.keys > div:first-child { border-top: 0; }
.keys dt { font-weight: 600; }
.keys dt .subtle { font-weight: 400; font-size: 0.9rem; }
.keys dd { margin: 0.2rem 0 0; }
.key { display: flex; flex-direction: column; gap: 0.15rem; min-width: 0; }
.fingerprint { font-family: var(--mono); font-weight: 700; font-size: 1.05rem; letter-spacing: 0.06em; white-space: nowrap; }
.facts .fingerprint { font-size: 0.95rem; }
.key-value, .hash, .vkey { font-size: 0.82rem; color: var(--muted); word-break: break-all; }
.rotation-keys { margin: 0; padding-left: 1.75rem; }
.rotation-keys li { padding: 0.4rem 0; }
.rotation-keys li::marker { font-weight: 700; color: var(--muted); }
.user-id { font-size: 1rem; }

/* The verdict */
.result { margin-top: 0.5rem; }
.status .banner {
  display: flex; gap: 1rem; align-items: flex-start;
  border: 1px solid var(--line); border-left-width: 6px; border-radius: 8px;
  padding: 1rem 1.25rem; background: var(--panel);
}
.banner h2 { font-size: 1.4rem; margin: 0.1rem 0 0.35rem; }
.banner p { margin: 0.35rem 0; }
.banner-text { min-width: 0; flex: 1; }
.banner-mark {
  flex: 0 0 auto; display: grid; place-items: center;
  width: 2.5rem; height: 2.5rem; border-radius: 50%;
  font-size: 1.4rem; font-weight: 700; line-height: 1;
  color: var(--bg); background: var(--muted);
}
.banner .code code { font-weight: 700; }
@media (max-width: 30rem) {
  .status .banner { gap: 0.75rem; padding: 0.85rem 1rem; }
  .banner-mark { width: 2rem; height: 2rem; font-size: 1.15rem; }
  .banner h2 { font-size: 1.25rem; }
}
.technical summary { cursor: pointer; color: var(--link); }
.technical p { font-family: var(--mono); font-size: 0.85rem; overflow-wrap: anywhere; }
[data-state="loading"] .banner { border-color: var(--info); background: var(--info-bg); }
[data-state="loading"] .banner-mark { background: var(--info); }
[data-state="verified"] .banner { border-color: var(--ok); background: var(--ok-bg); }
[data-state="verified"] .banner-mark { background: var(--ok); }
[data-state="verified"] .banner h2 { color: var(--ok); }
[data-state="revoked"] .banner,
[data-state="failed"] .banner { border-color: var(--bad); background: var(--bad-bg); }
[data-state="revoked"] .banner-mark,
[data-state="failed"] .banner-mark { background: var(--bad); }
[data-state="revoked"] .banner h2,
[data-state="failed"] .banner h2 { color: var(--bad); }
[data-state="not-found"] .banner,
[data-state="invalid"] .banner,
[data-state="registry-error"] .banner { border-color: var(--warn); background: var(--warn-bg); }
[data-state="not-found"] .banner-mark,
[data-state="invalid"] .banner-mark,
[data-state="registry-error"] .banner-mark { background: var(--warn); }
@media (prefers-reduced-motion: no-preference) {
  [data-state="loading"] .banner-mark { animation: pulse 1.2s ease-in-out infinite; }
}
@keyframes pulse { 50% { opacity: 0.45; } }

/* What was checked */
.checks-list { list-style: none; margin: 0; padding: 0; }
.check { display: grid; grid-template-columns: 1.75rem minmax(0, 1fr); gap: 0.5rem; padding: 0.55rem 0; border-top: 1px solid var(--line); }
.check:first-child { border-top: 0; }
.check p { margin: 0.1rem 0 0; color: var(--muted); font-size: 0.95rem; }
.check .mark {
  display: grid; place-items: center; width: 1.6rem; height: 1.6rem; border-radius: 50%;
  font-weight: 700; font-size: 0.95rem; border: 2px solid currentColor; margin-top: 0.05rem;
}
.check-passed .mark { color: var(--ok); background: var(--ok-bg); }
.check-failed .mark { color: var(--bad); background: var(--bad-bg); }
.check-failed strong { color: var(--bad); }
.check-note .mark { color: var(--info); background: var(--info-bg); font-family: Georgia, serif; font-style: italic; }
.check-pending .mark, .check-not-checked .mark { color: var(--muted); }
@media (min-width: 64rem) {
  .checks-list { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); column-gap: 2rem; }
  .check:nth-child(2) { border-top: 0; }
}

/* Devices */
.devices-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr)); }
.device { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem 1rem; background: var(--panel); }
.device h3 { margin: 0 0 0.25rem; display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.device .facts > div { display: block; }
.addresses { margin: 0; padding: 0; list-style: none; }

/* Chain history */
.history-list { list-style: none; margin: 0; padding: 0; }
.record { border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: 6px; padding: 0.6rem 1rem 0.75rem; margin: 0.75rem 0; }
.record.nullified { border-left: 4px dashed var(--warn); background: var(--warn-bg); }
.record-head { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.record-head h3 { margin: 0; }
.record.nullified .record-head h3 { text-decoration: line-through; text-decoration-thickness: 2px; }
.nullified-note { margin: 0.35rem 0; color: var(--warn); font-weight: 600; }

/* Registry key */
.registry-key { margin-top: 2rem; background: var(--panel); }
.registry-key > p { max-width: 48rem; }
.registry-key .vkey, .key-change .vkey { color: var(--fg); font-size: 0.88rem; }
.repin { margin: 0.5rem 0 1rem; }
.pin-details summary { cursor: pointer; color: var(--link); font-weight: 600; margin-top: 0.75rem; }
.pin-form { max-width: 44rem; display: grid; gap: 0.5rem; margin-top: 0.75rem; }
.pin-form button { justify-self: start; }

@media (forced-colors: active) {
  .banner-mark, .check .mark, .tag { border: 1px solid CanvasText; }
}
`;
