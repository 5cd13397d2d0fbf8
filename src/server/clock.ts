/** The server's notion of now, injected so tests can move time (recovery windows, clock skew). */
export interface Clock {
  /** Milliseconds since the epoch, an integer. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
