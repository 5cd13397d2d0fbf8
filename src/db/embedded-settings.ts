/**
 * Postgres settings of every embedded database (PGlite): the registry's (database.ts) and the test
 * harness's (test/jest/embedded-postgres.ts). PGlite allocates and zeroes Postgres's shared
 * buffers inside its WebAssembly memory when it starts, and that memory never shrinks: the default
 * 128 MB of shared_buffers was 135 MB of the registry's resident memory before its first query
 * (442 MB → 307 MB at 10,000 identities). 8 MB holds the hot pages of the indexes; the rest of
 * the data folder is read through the operating system's page cache (an in-memory database's
 * files are in memory already), and hot lookups are answered from the registry's own caches
 * (DESIGN.md §9). 16 MB → 8 MB took 8 MB off the embedded server's RSS (issue 19: PGlite's
 * memory 32 MB resident at the end of a 10,000-identity bench, 16 MB of it these buffers) with the
 * log writer's CPU per batch within the noise (test/bench/writer-batches.ts, 10,000 identities,
 * two turns each: creates 3.97 and 5.31 ms a batch of 12 at 16 MB, 4.23 and 4.39 at 8 MB;
 * rotations 4.91 and 5.82, 5.35 and 5.41); 4 MB cost more (creates 4.97 and 4.76, rotations 5.92
 * and 6.01, and up to 2.5× the wall time: pages read back through the file system).
 */
import { PGlite } from '@electric-sql/pglite';

/** PGlite's own start parameters, then ours (a later `-c` wins). */
export const EMBEDDED_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'];
