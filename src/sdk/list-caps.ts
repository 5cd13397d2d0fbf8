/**
 * The most items a client takes from one list, over all its pages (DESIGN.md §6, "Pages"): a
 * registry cannot keep a client fetching forever. Apart from responses.ts so that the SDK's
 * declarations reach no zod types.
 */
export const LIST_CAPS = { chain: 100_000, history: 1_000_000, groups: 100_000, devices: 100_000 } as const;
