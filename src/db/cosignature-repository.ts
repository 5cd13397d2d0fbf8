/**
 * Witness cosignatures are kept in the checkpoint's stored note itself (DESIGN.md §5.4): appended
 * signature lines, which leave the signed text as it is. Every reader of the note then serves them.
 */
import type { Database } from './database.js';

/**
 * Appends `line` (one signature line, newline-terminated) to the note of the checkpoint of `size`
 * whose text is `text`, unless that note already has a line by `name`. One statement, so lines by
 * several witnesses, appended at once by several processes, are all kept. False when nothing
 * changed (the checkpoint was replaced by a newer one of that size, or the line is there).
 */
export async function appendCosignature(db: Pick<Database, 'query'>, size: number, text: string, name: string, line: string): Promise<boolean> {
  const rows = await db.query<{ size: unknown }>(
    'UPDATE log_checkpoints SET note = note || $4 WHERE size = $1 AND starts_with(note, $2 || E\'\\n\') AND strpos(note, $3) = 0 RETURNING size',
    [size, text, `\n\u2014 ${name} `, line],
  );
  return rows.length > 0;
}

/** How far back (in checkpoints) a search for a cosigned checkpoint looks. */
const COSIGNED_SEARCH_DEPTH = 1000;

/**
 * The newest of the last 1000 checkpoints whose note carries at least `count` signature lines
 * besides the registry's own (the cosignatures this registry appended), or null.
 */
export async function latestCosignedCheckpoint(db: Pick<Database, 'query'>, count: number): Promise<{ size: number; note: string } | null> {
  const rows = await db.query<{ size: unknown; note: string }>(
    `SELECT size, note FROM (SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT ${COSIGNED_SEARCH_DEPTH}) recent
     WHERE (length(note) - length(replace(note, E'\n\u2014 ', ''))) / 3 - 1 >= $1 ORDER BY size DESC LIMIT 1`,
    [count],
  );
  const row = rows[0];
  return row === undefined ? null : { size: Number(row.size), note: row.note };
}
