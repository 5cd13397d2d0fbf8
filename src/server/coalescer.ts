/**
 * Coalesces concurrent reads of mutable state into rounds: while one round's query runs, new
 * requests wait, and the next round answers all of them with one query. A request is only ever
 * answered by a query that started after it arrived, so nothing is served "as latest" that the
 * database had not confirmed at the time of asking (DESIGN.md §9) — under load, 32 concurrent
 * lookups cost one query instead of 32.
 */
export class Coalescer<K, V> {
  private queue: Array<{ key: K; resolve(value: V): void; reject(error: unknown): void }> = [];
  private running = false;

  /** `fetch` answers a whole round: one value per distinct key asked. */
  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxRound = 1000,
  ) {}

  get(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const round = this.queue.splice(0, this.maxRound);
      try {
        const values = await this.fetch([...new Set(round.map((r) => r.key))]);
        for (const request of round) request.resolve(values.get(request.key) as V);
      } catch (error) {
        for (const request of round) request.reject(error);
      }
    }
    this.running = false;
  }
}
