/**
 * What `npm run bench` prints: every phase of every run, the headline figures per mode and size
 * with their ratio between the largest and the smallest size, and a table against the targets of
 * issue 19.
 */
import type { MapLoadFigures, ProofSizes } from './map-figures.js';
import type { Phase } from './load.js';
import type { Mode } from './stores.js';

/** Phase names the headline figures are read from (BENCH_PHASES matches words of these). */
export const PHASE = {
  lookup: 'lookup GET /v1/users/{id}',
  create: 'create POST /v1/users',
  rotation: 'rotation POST /v1/users/{id}',
  tiles: 'tiles GET /v1/log/tile/…',
  twoProcessLookups: 'lookup, two processes',
  twoProcessCreates: 'create, two processes',
} as const;

/** The same load on two builds in turn (BENCH_BASE): req/s of each turn, per build. */
export interface Comparison {
  name: string;
  base: number[];
  current: number[];
}

export interface Run {
  mode: Mode;
  size: number;
  logSize: number;
  seeding: { writesPerSecond: number; how: string };
  /** From start to ready on the seeded store (the map loaded from the tables). */
  startSeconds: number;
  /** The plain Express hello-world: issue 19's ceiling. */
  ceiling: Phase;
  /** The same hello-world with the app's message classes, as the registry serves its app. */
  tunedCeiling: Phase;
  phases: Phase[];
  comparisons: Comparison[];
  map: (MapLoadFigures & { proofBytes: ProofSizes }) | null;
  memory: { rssMb: number; peakMb: number };
  memoryAfterLookups: { rssMb: number; peakMb: number };
  verifiedSample: number;
}

export interface Figures {
  lookupsPerSecond: number | undefined;
  lookupsOfCeiling: number | undefined;
  lookupsOfTuned: number | undefined;
  lookupP50: number | undefined;
  lookupP99: number | undefined;
  createsPerSecond: number | undefined;
  rotationsPerSecond: number | undefined;
  rotationP99: number | undefined;
  tilesPerSecond: number | undefined;
  rssMb: number;
}

/** The phase `name` of a run, or with BENCH_BASE the first turn of this build at it. */
const phaseOf = (run: Run, name: string) => run.phases.find((p) => p.name === name || p.name === `${name} [this]`);

export function figuresOf(run: Run): Figures {
  const lookup = phaseOf(run, PHASE.lookup);
  const rotation = phaseOf(run, PHASE.rotation);
  return {
    lookupsPerSecond: lookup?.requestsPerSecond,
    lookupsOfCeiling: lookup === undefined ? undefined : lookup.requestsPerSecond / run.ceiling.requestsPerSecond,
    lookupsOfTuned: lookup === undefined ? undefined : lookup.requestsPerSecond / run.tunedCeiling.requestsPerSecond,
    lookupP50: lookup?.p50,
    lookupP99: lookup?.p99,
    createsPerSecond: phaseOf(run, PHASE.create)?.requestsPerSecond,
    rotationsPerSecond: rotation?.requestsPerSecond,
    rotationP99: rotation?.p99,
    tilesPerSecond: phaseOf(run, PHASE.tiles)?.requestsPerSecond,
    rssMb: run.memory.rssMb,
  };
}

const percent = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(x * 100)}%`);
const plain = (x: number | undefined) => (x === undefined ? '–' : String(x));
const sizeOf = (n: number) => n.toLocaleString('en');
const cell = (text: string, width: number) => text.padStart(width);

/** Every phase of every run, and what each run found besides. */
export function printPhases(runs: Run[]): void {
  console.log('mode      N         phase                              req/s   of ceiling   p50 ms   p99 ms      ok   not ok   RSS MB after');
  for (const run of runs) {
    const lead = `${run.mode.padEnd(10)}${sizeOf(run.size).padEnd(10)}`;
    for (const phase of [run.ceiling, run.tunedCeiling, ...run.phases]) {
      const ratio = percent(phase.requestsPerSecond / run.ceiling.requestsPerSecond);
      console.log(
        `${lead}${phase.name.padEnd(33)}${cell(String(phase.requestsPerSecond), 8)}${cell(ratio, 13)}${cell(String(phase.p50), 9)}${cell(String(phase.p99), 9)}${cell(String(phase.ok), 8)}${cell(String(phase.notOk), 9)}${cell(plain(phase.rssMbAfter), 15)}`,
      );
    }
    console.log(
      `${lead}seeding: ${run.seeding.writesPerSecond} genesis writes/s (${run.seeding.how}); ready ${run.startSeconds.toFixed(1)} s after start; ` +
        `server memory ${run.memory.rssMb} MB RSS (peak ${run.memory.peakMb} MB, ${run.memoryAfterLookups.rssMb} MB after the lookups); log size ${run.logSize}; ${run.verifiedSample} lookups verified with the SDK`,
    );
    const m = run.map;
    if (m !== null) {
      console.log(
        `${lead}key map: ${m.keys} keys; map proof ${m.proofBytes.present.avg} bytes average (max ${m.proofBytes.present.max}) for an identity, ${m.proofBytes.absent.avg} (max ${m.proofBytes.absent.max}) for an absent id; ` +
          `loaded from the tables in ${m.loadFromTablesSeconds.toFixed(2)} s; rebuilt from scratch out of ${m.logSize} log entries in ${m.rebuildFromLogSeconds.toFixed(2)} s (target < 30 s)${m.rebuildMatchesTables ? '' : ' — ROOTS DIFFER'}`,
      );
    }
    const rate = (name: string) => phaseOf(run, name)?.requestsPerSecond;
    if (rate(PHASE.twoProcessLookups) !== undefined || rate(PHASE.twoProcessCreates) !== undefined) {
      const versus = (single: number | undefined, double: number | undefined) =>
        `${plain(single)} → ${plain(double)} req/s${single !== undefined && double !== undefined ? ` (${(double / single).toFixed(2)}×)` : ''}`;
      console.log(`${lead}one registry process vs two on one Postgres: lookups ${versus(rate(PHASE.lookup), rate(PHASE.twoProcessLookups))}, creates ${versus(rate(PHASE.create), rate(PHASE.twoProcessCreates))}`);
    }
    for (const c of run.comparisons) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
      const change = ((mean(c.current) / Math.max(mean(c.base), 1) - 1) * 100).toFixed(1);
      console.log(
        `${lead}${c.name}: this build ${c.current.join(' / ')} req/s, base ${c.base.join(' / ')} req/s (turns base, this, this, base): ${Number(change) >= 0 ? '+' : ''}${change}% (${percent(mean(c.current) / run.ceiling.requestsPerSecond)} of the ceiling, ${percent(mean(c.current) / run.tunedCeiling.requestsPerSecond)} of the tuned one)`,
      );
    }
  }
}

const COLUMNS: Array<[string, keyof Figures, (x: number | undefined) => string]> = [
  ['lookups/s', 'lookupsPerSecond', plain],
  ['÷ ceiling', 'lookupsOfCeiling', percent],
  ['÷ tuned', 'lookupsOfTuned', percent],
  ['p50 ms', 'lookupP50', plain],
  ['p99 ms', 'lookupP99', plain],
  ['creates/s', 'createsPerSecond', plain],
  ['rotations/s', 'rotationsPerSecond', plain],
  ['rot. p99', 'rotationP99', plain],
  ['tiles/s', 'tilesPerSecond', plain],
  ['RSS MB', 'rssMb', plain],
];

/** The headline figures per mode and size, and per mode the largest size's ÷ the smallest's. */
export function printFigures(runs: Run[]): void {
  console.log(`mode      N                ${COLUMNS.map(([title]) => cell(title, 12)).join('')}`);
  for (const run of runs) {
    const f = figuresOf(run);
    console.log(`${run.mode.padEnd(10)}${sizeOf(run.size).padEnd(17)}${COLUMNS.map(([, key, show]) => cell(show(f[key]), 12)).join('')}`);
  }
  for (const mode of new Set(runs.map((r) => r.mode))) {
    const ofMode = runs.filter((r) => r.mode === mode).sort((a, b) => a.size - b.size);
    if (ofMode.length < 2) continue;
    const [small, large] = [figuresOf(ofMode[0]!), figuresOf(ofMode.at(-1)!)];
    const ratio = (key: keyof Figures) => {
      const [a, b] = [small[key], large[key]];
      return a === undefined || b === undefined || a === 0 ? '–' : `${(b / a).toFixed(2)}×`;
    };
    console.log(`${mode.padEnd(10)}${`${sizeOf(ofMode.at(-1)!.size)} ÷ ${sizeOf(ofMode[0]!.size)}`.padEnd(17)}${COLUMNS.map(([, key]) => cell(ratio(key), 12)).join('')}`);
  }
}

interface Target {
  mode: Mode;
  /** The size it applies to; undefined: every size. */
  size?: number;
  what: string;
  goal: string;
  value(f: Figures): string;
  met(f: Figures): boolean | undefined;
}

const atLeast = (x: number | undefined, goal: number) => (x === undefined ? undefined : x >= goal);
const atMost = (x: number | undefined, goal: number) => (x === undefined ? undefined : x <= goal);
const slowerWrites = (f: Figures) => (f.createsPerSecond === undefined || f.rotationsPerSecond === undefined ? undefined : Math.min(f.createsPerSecond, f.rotationsPerSecond));
const writes = (f: Figures) => `creates ${plain(f.createsPerSecond)}, rotations ${plain(f.rotationsPerSecond)}`;

/** Issue 19's targets (writes: creates and rotations each). */
const TARGETS: Target[] = [
  { mode: 'embedded', what: 'lookups ÷ ceiling', goal: '≥ 50%', value: (f) => percent(f.lookupsOfCeiling), met: (f) => atLeast(f.lookupsOfCeiling, 0.5) },
  { mode: 'embedded', what: 'lookup p99', goal: '≤ 20 ms', value: (f) => `${plain(f.lookupP99)} ms`, met: (f) => atMost(f.lookupP99, 20) },
  { mode: 'embedded', what: 'writes/s', goal: '≥ 500', value: writes, met: (f) => atLeast(slowerWrites(f), 500) },
  { mode: 'embedded', size: 10_000, what: 'server RSS', goal: '≤ 300 MB', value: (f) => `${f.rssMb} MB`, met: (f) => atMost(f.rssMb, 300) },
  { mode: 'postgres', what: 'writes/s', goal: '≥ 1,000', value: writes, met: (f) => atLeast(slowerWrites(f), 1000) },
  { mode: 'postgres', size: 10_000, what: 'lookups ÷ ceiling', goal: '≥ 55%', value: (f) => percent(f.lookupsOfCeiling), met: (f) => atLeast(f.lookupsOfCeiling, 0.55) },
  { mode: 'postgres', size: 100_000, what: 'lookups ÷ ceiling', goal: '≥ 50%', value: (f) => percent(f.lookupsOfCeiling), met: (f) => atLeast(f.lookupsOfCeiling, 0.5) },
  { mode: 'postgres', size: 10_000, what: 'server RSS', goal: '≤ 300 MB', value: (f) => `${f.rssMb} MB`, met: (f) => atMost(f.rssMb, 300) },
];

/** The runs against the targets that apply to them. */
export function printTargets(runs: Run[]): void {
  console.log('mode      N         figure              measured                          target      met');
  for (const run of runs) {
    const f = figuresOf(run);
    for (const target of TARGETS.filter((t) => t.mode === run.mode && (t.size === undefined || t.size === run.size))) {
      const met = target.met(f);
      console.log(
        `${run.mode.padEnd(10)}${sizeOf(run.size).padEnd(10)}${target.what.padEnd(20)}${target.value(f).padEnd(34)}${target.goal.padEnd(12)}${met === undefined ? 'not measured' : met ? 'yes' : 'NO'}`,
      );
    }
  }
}
