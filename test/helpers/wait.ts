/**
 * Waits for something that happens on its own schedule (a mirror's next round, a peer's answer)
 * by retrying an assertion until it passes: never a fixed sleep, which is either too short on a
 * busy machine or too long everywhere else.
 */
export interface WaitOptions {
  /** Give up (with the assertion's last error) after this long; default 10 s. */
  timeout?: number;
  /** Time between tries; default 50 ms. */
  interval?: number;
}

export async function waitFor<T>(check: () => T | Promise<T>, options: WaitOptions | number = {}): Promise<T> {
  const { timeout = 10_000, interval = 50 } = typeof options === 'number' ? { timeout: options } : options;
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}
