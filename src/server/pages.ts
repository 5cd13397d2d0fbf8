/**
 * Pages of lists (DESIGN.md §6, "Pages"): every list the API serves is cut by count and by bytes,
 * always holds its first item, and says where the list goes on with `next`. The database cuts
 * first (db/pages.ts), from an upper bound of each item's size; this cuts again by the exact size
 * of each item's JSON, so the bound holds whatever the estimate.
 */

/** The most items any page holds; `GET /v1/log/entries` also takes a smaller `limit`. */
export const MAX_PAGE_ITEMS = 1000;

export interface PageBounds {
  /** The most items on a page. */
  maxItems: number;
  /** The most bytes of items on a page (each item's JSON in UTF-8, summed), unless its only item is larger. */
  maxBytes: number;
}

/** A page: its items as JSON text, in list order, and where the list continues (undefined: it ends here). */
export interface Page<P> {
  items: string[];
  next: P | undefined;
}

/**
 * Cuts a page out of rows in list order: `item` gives a row's JSON, or null for a row the
 * database already left off the page (db/pages.ts); `position` what `next` says for a row.
 */
export function cutPage<R, P>(rows: readonly R[], item: (row: R) => string | null, position: (row: R) => P, bounds: PageBounds): Page<P> {
  const items: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const text = item(row);
    const size = text === null ? 0 : Buffer.byteLength(text);
    if (text === null || (items.length > 0 && (items.length >= bounds.maxItems || bytes + size > bounds.maxBytes))) {
      return { items, next: position(row) };
    }
    items.push(text);
    bytes += size;
  }
  return { items, next: undefined };
}

/** The members `"<name>":[<items>]` and, when the list continues, `,"next":<next>`: JSON text to put in an object. */
export function pageMembers(name: string, page: Page<unknown>): string {
  const next = page.next === undefined ? '' : `,"next":${JSON.stringify(page.next)}`;
  return `${JSON.stringify(name)}:[${page.items.join(',')}]${next}`;
}
