/**
 * How the registry's Node process is started: Node's options and the environment it needs from
 * its first instruction, the one definition that `npm start` (src/start.ts) and the benchmarks
 * (test/bench/processes.ts) start the server with. The Dockerfile repeats them in its ENV and CMD
 * (a container runs the server as its only process); test/unit/deployment-files.test.ts keeps the
 * two in step. What each one saves: README, Performance.
 *
 * Neither can be set from inside the server: glibc reads its malloc tunables once, when the process
 * starts, and Node and V8 read these options before any of our code runs.
 */

/** `--liftoff-only`: WebAssembly compiled once, at V8's baseline tier (src/node/sodium-key-check.ts has the one exception). */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--enable-source-maps', '--liftoff-only', '--heap-growing-percent=30'];

/**
 * glibc's malloc: blocks of 128 KiB and more in mappings of their own, given back when freed, and
 * free memory at the top of the heap trimmed, instead of thresholds that rise as large blocks are
 * freed. Only glibc reads the variable: on macOS, Windows or musl it is inert.
 */
export const SERVER_ENV: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072',
};
