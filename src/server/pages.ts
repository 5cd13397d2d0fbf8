/**
 * Pages of lists (DESIGN.md §6, "Pages"): every list the API serves is cut by count and by bytes,
 * always holds its first item, and says where the list goes on with `next`. The database cuts
 * first (db/pages.ts), from an upper bound of each item's size; this cuts again by the exact size
 * of each item's JSON, so the bound holds whatever the estimate.
 *
 * A page is written straight into one Buffer from its parts — the stored records' text and the
 * JSON around them — and never joined into one string first: a string of a megabyte is a large
 * object on V8's heap, freed only by a full garbage collection, and under a stream of large pages
 * those collections are what held the event loop. A Buffer's bytes live outside the heap and go
 * with the small object that holds them.
 */

/** The most items any page holds; `GET /v1/log/entries` also takes a smaller `limit`. */
export const MAX_PAGE_ITEMS = 1000;

export interface PageBounds {
  /** The most items on a page. */
  maxItems: number;
  /** The most bytes of items on a page (each item's JSON in UTF-8, summed), unless its only item is larger. */
  maxBytes: number;
}

/** An item's JSON as consecutive pieces of text (e.g. the JSON around a record, and the record). */
export type JsonParts = readonly string[];

/** A page: its items, in list order, and where the list continues (undefined: it ends here). */
export interface Page<P> {
  items: JsonParts[];
  next: P | undefined;
}


/**
 * Cuts a page out of rows in list order: `item` gives a row's JSON, or null for a row the
 * database already left off the page (db/pages.ts); `position` what `next` says for a row.
 */
export function cutPage<R, P>(rows: readonly R[], item: (row: R) => JsonParts | null, position: (row: R) => P, bounds: PageBounds): Page<P> {
  const items: JsonParts[] = [];
  let bytes = 0;
  for (const row of rows) {
    const parts = item(row);
    const size = parts === null ? 0 : partsLength(parts);
    if (parts === null || (items.length > 0 && (items.length >= bounds.maxItems || bytes + size > bounds.maxBytes))) {
      return { items, next: position(row) };
    }
    items.push(parts);
    bytes += size;
  }
  return { items, next: undefined };
}

/** The members `"<name>":[<items>]` and, when the list continues, `,"next":<next>`, as parts of a JSON object. */
export function pageMembers(name: string, page: Page<unknown>): string[] {
  const parts = [`${JSON.stringify(name)}:[`];
  page.items.forEach((item, i) => parts.push(...(i === 0 ? item : [',', ...item])));
  parts.push(page.next === undefined ? ']' : `],"next":${JSON.stringify(page.next)}`);
  return parts;
}

/** The UTF-8 bytes of `parts` (text, or bytes copied as they are) one after another, in one Buffer. */
export function jsonBuffer(parts: readonly (string | Uint8Array)[]): Buffer {
  return fill(Buffer.allocUnsafe(partsLength(parts)), parts);
}

/**
 * jsonBuffer for bytes that are kept (a cache's): in a Buffer that owns its memory. A small Buffer
 * from Buffer.allocUnsafe is a slice of a shared 8 KiB slab, and one slice kept keeps the whole
 * slab alive — many kept small pages among short-lived ones held ten times the bytes they were
 * charged. A response, sent and dropped, keeps the pooled one.
 */
export function ownedJsonBuffer(parts: readonly (string | Uint8Array)[]): Buffer {
  return fill(Buffer.allocUnsafeSlow(partsLength(parts)), parts);
}

/** The UTF-8 length of `parts`, text or bytes. */
function partsLength(parts: readonly (string | Uint8Array)[]): number {
  return parts.reduce((sum, part) => sum + (typeof part === 'string' ? Buffer.byteLength(part) : part.length), 0);
}

function fill(buffer: Buffer, parts: readonly (string | Uint8Array)[]): Buffer {
  let at = 0;
  for (const part of parts) {
    if (typeof part === 'string') {
      at += buffer.write(part, at);
    } else {
      buffer.set(part, at);
      at += part.length;
    }
  }
  return buffer;
}
