/** Timestamps: RFC 3339 UTC with exactly three fraction digits, e.g. `2026-11-24T21:00:00.000Z`. */

const RFC3339_MS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;

/** Milliseconds since the epoch, or null when the text is not a valid timestamp of that form. */
export function parseTimestamp(text: string): number | null {
  const match = RFC3339_MS.exec(text);
  if (match === null) return null;
  const ms = Date.parse(text);
  // Date.parse rolls over impossible dates (Feb 30); re-formatting catches that.
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== text) return null;
  return ms;
}

export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** How far a submitted record's own time may be from the server's clock (DESIGN.md §2). */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
