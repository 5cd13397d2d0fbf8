/**
 * Gets the registry's checkpoints cosigned by its witnesses (c2sp.org/tlog-witness, DESIGN.md §5.4).
 *
 * Writes never wait for it: one loop per witness, on its own, takes the log's latest checkpoint
 * (batched: only the newest is ever sent, however many were signed since), sends it with a
 * consistency proof from the size the witness last cosigned, and appends the cosignature line it
 * gets back to that checkpoint's stored note, so every reader of the note — GET
 * /v1/log/checkpoint, lookup bundles, write answers, mirrors — serves it with no change of theirs.
 * Requests are time-bounded; failures are retried with backoff and reported (/readyz, /metrics).
 * A 409 with the witness's size resynchronises; a 409 without one (same size, another root) means
 * the witness holds a checkpoint of this log that this database does not: a fork alarm.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { appendCosignature } from '../../db/cosignature-repository.js';
import type { Database } from '../../db/database.js';
import { parseSignedNote } from '../../protocol/checkpoint.js';
import { appendCosignatures, formatAddCheckpointRequest, parseTlogSize, verifyCosignature, type CosignerKey } from '../../protocol/cosignature.js';
import { fromBase64Url } from '../../protocol/encoding.js';
import type { VerifySignature } from '../../protocol/signing.js';

export interface WitnessEndpoint {
  /** The submission prefix: requests go to `<url>/add-checkpoint`. */
  url: string;
  key: CosignerKey;
}

/** What the submitter needs of the log: its newest checkpoint and consistency proofs. */
export interface CheckpointSource {
  latest(): Promise<{ size: number; note: string }>;
  consistencyProof(from: number, to: number): Promise<{ hashes: string[] }>;
}

export interface WitnessOptions {
  /** Bound on one request, in ms. */
  timeoutMs: number;
  /** The interval between two requests to one witness, in ms (each sends the newest checkpoint then). */
  pollMs: number;
  /** Longest wait between retries after failures, in ms. */
  maxBackoffMs: number;
}

/** A witness as /readyz reports it. */
export interface WitnessStatus {
  name: string;
  url: string;
  /** The largest size this witness cosigned for us (since this process started), or null. */
  cosignedSize: number | null;
  /** When it last cosigned (ISO 8601), or null. */
  lastCosignedAt: string | null;
  /** Failures since its last success. */
  failures: number;
  /** The last failure's reason (`TIMEOUT`, `UNREACHABLE`, `HTTP_<status>`, `BAD_COSIGNATURE`, `CONFLICT`, `WITNESS_AHEAD`), or null. */
  lastError: string | null;
}

interface State extends WitnessStatus {
  endpoint: WitnessEndpoint;
  /** The size the witness holds for this log, as we last learned it (0 until it tells us). */
  knownSize: number;
}

class SubmitError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A submission cut short by stop(): no witness's failure, and nothing else is ever taken for it. */
class Stopped extends Error {}

export class WitnessSubmitter {
  private readonly states: State[];
  private stopped = false;
  /** Aborts the submissions in flight when the registry stops: a slow witness must not hold the stop for its whole timeout. */
  private readonly stopping = new AbortController();
  private readonly wakers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly attempts: Counter<'witness' | 'outcome'>;

  constructor(
    private readonly db: Pick<Database, 'query'>,
    private readonly log: CheckpointSource,
    witnesses: readonly WitnessEndpoint[],
    private readonly verify: VerifySignature,
    private readonly options: WitnessOptions,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.states = witnesses.map((endpoint) => ({
      endpoint,
      name: endpoint.key.name,
      url: endpoint.url,
      knownSize: 0,
      cosignedSize: null,
      lastCosignedAt: null,
      failures: 0,
      lastError: null,
    }));
    this.attempts = new Counter({ name: 'peerkeys_witness_requests_total', help: 'add-checkpoint requests sent to witnesses, by outcome', labelNames: ['witness', 'outcome'], registers: [registry] });
    const states = this.states;
    new Gauge({
      name: 'peerkeys_witness_cosigned_size',
      help: 'The largest log size each witness cosigned (since this process started)',
      labelNames: ['witness'],
      registers: [registry],
      collect() {
        for (const s of states) if (s.cosignedSize !== null) this.set({ witness: s.name }, s.cosignedSize);
      },
    });
    new Gauge({
      name: 'peerkeys_witness_failures',
      help: 'Consecutive failed add-checkpoint requests per witness (0: its last request succeeded)',
      labelNames: ['witness'],
      registers: [registry],
      collect() {
        for (const s of states) this.set({ witness: s.name }, s.failures);
      },
    });
  }

  start(): void {
    this.loops = this.states.map((state) => this.run(state));
  }

  /** Wakes the loops now (a new checkpoint was signed) instead of at their next poll. */
  kick(): void {
    for (const wake of this.wakers) wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.kick();
    await Promise.all(this.loops);
  }

  status(): WitnessStatus[] {
    return this.states.map(({ name, url, cosignedSize, lastCosignedAt, failures, lastError }) => ({ name, url, cosignedSize, lastCosignedAt, failures, lastError }));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async run(state: State): Promise<void> {
    let lastCosigned: string | null = null;
    while (!this.stopped) {
      let wait = this.options.pollMs;
      try {
        const latest = await this.log.latest();
        const text = parseSignedNote(latest.note)?.text ?? null;
        // Already cosigned by this witness (by us or by another process of this registry).
        if (text !== null && text !== lastCosigned && !hasLineBy(latest.note, state.endpoint.key)) {
          await this.submit(state, latest.size, latest.note, text);
          this.attempts.inc({ witness: state.name, outcome: 'cosigned' });
          state.failures = 0;
          state.lastError = null;
          state.cosignedSize = Math.max(state.cosignedSize ?? 0, latest.size);
          state.lastCosignedAt = new Date().toISOString();
          lastCosigned = text;
          // Then wait a poll interval: under a stream of writes each witness gets at most one
          // request per interval (the newest checkpoint then), not one per write batch.
        }
      } catch (error) {
        // Only the stop's own abort ends the loop quietly: any other error, even one raised while
        // the stop runs (a CONFLICT is fork evidence), is counted and logged.
        if (error instanceof Stopped) break;
        const reason = error instanceof SubmitError ? error.reason : 'UNAVAILABLE';
        this.attempts.inc({ witness: state.name, outcome: reason });
        state.failures += 1;
        state.lastError = reason;
        wait = Math.min(this.options.maxBackoffMs, this.options.pollMs * 2 ** Math.min(state.failures, 10));
        const level = reason === 'CONFLICT' || reason === 'WITNESS_AHEAD' ? 'error' : 'warn';
        this.logger[level]({ witness: state.name, url: state.url, reason, err: error instanceof SubmitError ? undefined : error }, 'witness did not cosign the checkpoint');
      }
      if (!this.stopped) await this.sleep(wait);
    }
  }

  /** The first line of a 200 answer that is a valid cosignature of `text` by `key`, as sent. */
  private async verifiedLine(key: CosignerKey, note: string, text: string, answer: string): Promise<string | null> {
    if (appendCosignatures(note, answer) === null) return null;
    for (const raw of answer.slice(0, -1).split('\n')) {
      const line = appendCosignatures(note, `${raw}\n`)?.lines[0];
      if (line !== undefined && (await verifyCosignature(text, line, key, this.verify)) !== null) return `${raw}\n`;
    }
    return null;
  }

  /** `Stopped` when `error` is the abort of stop(), else null. */
  private stopAbort(error: unknown): Stopped | null {
    return this.stopping.signal.aborted && (error as Error | null)?.name === 'AbortError' ? new Stopped('stopped') : null;
  }

  /** One checkpoint to one witness; a 409 with its size resynchronises (at most twice). */
  private async submit(state: State, size: number, note: string, text: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const oldSize = state.knownSize;
      if (oldSize > size) throw new SubmitError('WITNESS_AHEAD');
      const proof = oldSize === 0 || oldSize === size ? [] : (await this.log.consistencyProof(oldSize, size)).hashes.map((h) => fromBase64Url(h, 32)!);
      const body = formatAddCheckpointRequest({ oldSize, proof, note });
      let response: Response;
      try {
        response = await fetch(`${state.endpoint.url.replace(/\/+$/, '')}/add-checkpoint`, { method: 'POST', body, signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.stopping.signal]) });
      } catch (error) {
        throw this.stopAbort(error) ?? new SubmitError((error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'UNREACHABLE');
      }
      const sizeAnswer = response.status === 409 && (response.headers.get('content-type') ?? '').startsWith('text/x.tlog.size');
      let answer: string;
      try {
        answer = await response.text();
      } catch (error) {
        // A CONFLICT needs no body: fork evidence is reported even when the stop cut its body short.
        const stopped = this.stopAbort(error);
        if (stopped !== null && (response.status !== 409 || sizeAnswer)) throw stopped;
        answer = '';
      }
      if (sizeAnswer) {
        const known = parseTlogSize(answer);
        if (known === null) throw new SubmitError('HTTP_409');
        state.knownSize = known;
        continue;
      }
      if (response.status === 409) throw new SubmitError('CONFLICT');
      if (response.status !== 200) throw new SubmitError(`HTTP_${response.status}`);
      const line = await this.verifiedLine(state.endpoint.key, note, text, answer);
      if (line === null) throw new SubmitError('BAD_COSIGNATURE');
      state.knownSize = size;
      await appendCosignature(this.db, size, text, state.endpoint.key.name, line);
      return;
    }
    throw new SubmitError('HTTP_409');
  }
}

/** Whether the note already carries a signature line named as this witness. */
function hasLineBy(note: string, key: CosignerKey): boolean {
  return note.includes(`\n\u2014 ${key.name} `);
}
