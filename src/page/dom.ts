/**
 * A tiny element builder for the lookup page. Everything the registry sends (names, addresses,
 * keys) goes into the page as text nodes, never as markup, and no element gets a `style`
 * attribute: the CSP (server/http/security.ts) allows neither inline code nor inline styles.
 */

export type Child = Node | string | null | undefined | false;

/** Attribute values: a string sets it, `true` sets it empty, `false` or undefined leaves it out. */
export type Attributes = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/** The element with this id, or an error naming it: the page's skeleton comes from the server. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** An ISO timestamp as people read it, keeping UTC explicit: `2026-11-24 21:00:00 UTC`. */
export function readableUtc(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

/** A timestamp as people read it (readableUtc), in a `<time>` element. */
export function time(iso: string): HTMLTimeElement {
  return h('time', { datetime: iso }, readableUtc(iso));
}

/** A checkpoint's `time` (Unix ms) as `time` shows it, in UTC. */
export function checkpointTime(ms: number): HTMLTimeElement {
  return time(new Date(ms).toISOString());
}

/** Text only screen readers announce (a mark's meaning, when the mark itself is a symbol). */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'sr-only' }, text);
}
