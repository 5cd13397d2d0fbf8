/**
 * One page of a list, cut in the database (DESIGN.md §6, "Pages"), so that the registry never
 * reads more than it sends. `source` is a SELECT of the list's rows with these columns:
 *
 *   pos    the row's position in the list: unique, in list order (what a page's `next` names);
 *   size   an upper bound of the bytes of the row's item as the page shows it (its JSON);
 *   and the `payload` columns, which make up the item.
 *
 * The statement returns the rows that fit on the page, with their payload, in list order; then at
 * most one row more, with its payload NULL: the first row that did not fit, whose `pos` is where
 * the next page starts. A row fits while the page holds at most `maxItems` rows whose sizes add
 * up to at most `maxBytes`; the first row always fits. No row after that one is returned, and no
 * payload of a row left off the page is read: `octet_length` takes a stored (TOASTed) value's
 * length from its header, so leaving off an 88 KB record costs nothing. The window is computed on
 * at most `maxItems + 1` rows, in the order of an index on the list.
 */

/** Bytes around a stored record in an item, an upper bound: `{"index":…,"acceptedAt":"…","record":…,"nullified":false}`. */
export const RECORD_ITEM_OVERHEAD = 100;

/** `maxItems` and `maxBytes` name the statement's parameters that hold the bounds (e.g. `$3`). */
export function pageSql(source: string, payload: readonly string[], bounds: { maxItems: string; maxBytes: string }): string {
  const fits = `(n <= ${bounds.maxItems} AND (n = 1 OR through <= ${bounds.maxBytes}))`;
  // Returned: the rows whose predecessor fits — the first two, and any row whose predecessors add
  // up to at most maxBytes — which are the page and the first row after it.
  return `SELECT pos, ${payload.map((column) => `CASE WHEN ${fits} THEN ${column} END AS ${column}`).join(', ')}
    FROM (SELECT s.*, row_number() OVER w AS n, sum(s.size) OVER w AS through
            FROM (${source}) s
          WINDOW w AS (ORDER BY s.pos ROWS UNBOUNDED PRECEDING)
           ORDER BY s.pos
           LIMIT ${bounds.maxItems} + 1) page
   WHERE n <= 2 OR through - size <= ${bounds.maxBytes}
   ORDER BY pos`;
}
