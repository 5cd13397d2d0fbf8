/**
 * Postgres settings of every embedded database (PGlite): the registry's (database.ts) and the test
 * harness's (test/jest/embedded-postgres.ts). PGlite allocates and zeroes Postgres's shared
 * buffers inside its WebAssembly memory when it starts, and that memory never shrinks: the default
 * 128 MB of shared_buffers was 135 MB of the registry's resident memory before its first query
 * (442 MB → 307 MB at 10,000 identities). 16 MB holds the hot pages of the indexes; the rest of
 * the data folder is read through the operating system's page cache (an in-memory database's
 * files are in memory already), and hot lookups are answered from the registry's own caches
 * (DESIGN.md §9).
 */
import { PGlite } from '@electric-sql/pglite';

/** PGlite's own start parameters, then ours (a later `-c` wins). */
export const EMBEDDED_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];
