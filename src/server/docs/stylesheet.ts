/**
 * The stylesheet of the API reference at /docs (api-reference.ts), served as /docs/docs.css: the
 * CSP (security.ts) allows no inline styles, so the page links it. Kept as a module rather than a
 * .css file because the build (tsc) copies only compiled code into dist/, and the image ships dist/.
 */
export const DOCS_STYLESHEET = `:root {
  color-scheme: light dark;
  --fg: #1d1f21;
  --muted: #5c6370;
  --bg: #ffffff;
  --panel: #f5f6f8;
  --line: #d9dce1;
  --link: #0b5cad;
  --get: #1a7f37;
  --post: #0b5cad;
  --put: #9a6700;
  --error: #b42318;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6e6e6;
    --muted: #a0a6b0;
    --bg: #16181b;
    --panel: #1f2226;
    --line: #33373d;
    --link: #6cb6ff;
    --get: #56d364;
    --post: #6cb6ff;
    --put: #e3b341;
    --error: #ff7b72;
  }
}
* { box-sizing: border-box; }
/* Desktop: navigation left, the reference right. The document has main before nav (phones show
   the reference first); the grid areas put them side by side. */
body {
  margin: 0;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg);
  background: var(--bg);
  display: grid;
  grid-template-columns: 21rem minmax(0, 1fr);
  grid-template-areas: "header header" "nav main";
}
header { grid-area: header; padding: 1.5rem 2rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 0.25rem; font-size: 1.6rem; }
header p { margin: 0.25rem 0; }
.jump { display: none; }
nav {
  grid-area: nav; align-self: start; position: sticky; top: 0; max-height: 100vh; overflow-y: auto;
  padding: 1rem 1.5rem; border-right: 1px solid var(--line); font-size: 0.9rem;
}
nav h2 { font-size: 1rem; margin: 1rem 0 0.5rem; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li { margin: 0.15rem 0; }
nav li a { display: flex; gap: 0.4rem; align-items: baseline; overflow-wrap: break-word; min-width: 0; }
nav li .method { flex-shrink: 0; }
.to-top { display: none; }
main { grid-area: main; padding: 1rem 2rem 3rem; min-width: 0; }
main > section > h2 { border-bottom: 2px solid var(--line); padding-bottom: 0.25rem; margin-top: 2rem; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font: 0.88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); padding: 0.05em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
.version, .summary, .lead { color: var(--muted); }
.version { font-weight: normal; font-size: 1rem; }
.lead { font-weight: 600; margin-bottom: 0.25rem; }
.operation, .schema { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 1.25rem 1rem; margin: 1.25rem 0; background: var(--bg); }
.operation h3, .schema h3 { margin: 0.5rem 0; overflow-wrap: anywhere; }
.operation h4 { margin: 1rem 0 0.4rem; }
.method { display: inline-block; min-width: 3.5rem; font: 700 0.8rem/1.6 ui-monospace, monospace; text-align: center; border-radius: 3px; color: var(--bg); background: var(--muted); padding: 0 0.3rem; }
.method-get { background: var(--get); }
.method-post { background: var(--post); }
.method-put { background: var(--put); }
.path { font-size: 1rem; background: none; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; border-top: 1px solid var(--line); padding: 0.35rem 0.5rem; }
th { color: var(--muted); font-weight: 600; }
td p, td ul { margin: 0 0 0.3rem; }
td ul { padding-left: 1.1rem; }
.status { font-weight: 700; font-family: ui-monospace, monospace; }
.status-ok { color: var(--get); }
.status-error { color: var(--error); }
.status-request { color: var(--post); }
.constraints { color: var(--muted); font-size: 0.85em; }
.meta code { white-space: nowrap; }
/* Examples: long keys and signatures wrap inside the block instead of widening the page. */
.examples { display: grid; gap: 0.4rem; }
.example { border: 1px solid var(--line); border-radius: 4px; background: var(--panel); }
.example summary { cursor: pointer; padding: 0.3rem 0.6rem; font-size: 0.9rem; }
.example summary code { background: none; padding: 0; }
.example pre { margin: 0; padding: 0.5rem 0.75rem; border-top: 1px solid var(--line); max-height: 40rem; overflow: auto; }
.example pre code { background: none; padding: 0; font-size: 0.8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 52rem) {
  body { display: block; }
  header { padding: 1rem; }
  .jump { display: block; }
  nav { position: static; max-height: none; overflow: visible; border-right: none; border-top: 2px solid var(--line); padding: 1rem; }
  .to-top { display: block; margin-top: 1rem; }
  main { padding: 0.5rem 1rem 2rem; }
  .operation, .schema { padding: 0.5rem 0.75rem 0.75rem; }
}
/* Phones: each table row becomes a block, its cells one under another, labelled. */
@media (max-width: 40rem) {
  table, tbody, tr, td { display: block; width: 100%; }
  thead { display: none; }
  tr { border-top: 1px solid var(--line); padding: 0.4rem 0; }
  td { border: none; padding: 0.1rem 0; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 0.85em; }
  td:empty { display: none; }
  .meta code { white-space: normal; }
  .example pre code { font-size: 0.75rem; }
}
`;
