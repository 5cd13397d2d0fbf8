/**
 * Following a list through its pages (DESIGN.md §6, "Pages"): the registry cuts every list by
 * count and by bytes and says where it goes on with `next`; a client that stopped at the first
 * page would see part of the list and take it for all of it. Pages are attacker-controlled input:
 * each must move forward, hold at least one item when it is not the last, and the list as a whole
 * stays under a cap, so no registry can keep a client fetching forever.
 */
import { VerificationError } from './errors.js';

/** One page as it came: the answer's fields, its items, and its `next` (undefined on the last page). */
export interface FetchedPage {
  answer: Record<string, unknown>;
  items: unknown[];
}

/** `path` with `start=<next>` added to its query. */
export function withStart(path: string, start: string | number): string {
  return `${path}${path.includes('?') ? '&' : '?'}start=${encodeURIComponent(String(start))}`;
}

function invalid(message: string): never {
  throw new VerificationError('INVALID_RESPONSE', message);
}

/**
 * Fetches `path`, then `path` with `start=<next>` while an answer has `next`, and returns every
 * page. `list` names the array field; `maxItems` caps the items of all pages together.
 */
export async function fetchAllPages(get: (path: string) => Promise<unknown>, path: string, list: string, maxItems: number): Promise<FetchedPage[]> {
  const pages: FetchedPage[] = [];
  let total = 0;
  let start: string | number | undefined;
  for (;;) {
    const answer = await get(start === undefined ? path : withStart(path, start));
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) invalid(`${path}: the answer is not a JSON object`);
    const fields = answer as Record<string, unknown>;
    const items = fields[list];
    if (!Array.isArray(items)) invalid(`${path}: the answer has no list "${list}"`);
    total += items.length;
    if (total > maxItems) invalid(`${path}: the list goes past ${maxItems} items`);
    pages.push({ answer: fields, items });
    const next = fields['next'];
    if (next === undefined) return pages;
    const forward =
      (typeof next === 'number' && Number.isSafeInteger(next) && (start === undefined ? next > 0 : typeof start === 'number' && next > start)) ||
      (typeof next === 'string' && next.length <= 100 && (start === undefined || (typeof start === 'string' && next > start)));
    if (!forward) invalid(`${path}: the page's next (${JSON.stringify(next)}) does not move forward`);
    if (items.length === 0) invalid(`${path}: a page with a next holds no item`);
    start = next;
  }
}

/** The answer of the last page with the items of all pages as `list`, and no `next`: the list as one answer. */
export function joinPages(pages: readonly FetchedPage[], list: string): Record<string, unknown> {
  const { next: _next, ...last } = pages[pages.length - 1]!.answer;
  return { ...last, [list]: pages.flatMap((p) => p.items) };
}
