// peerkeys serve's stop signals (src/cli/stop-signals.ts): the first stops gracefully, a repeat
// at the same moment is the same request, a later one forces the exit. The launcher's test
// (test/integration/start-launcher.test.ts) sends a real double Ctrl-C.
import { describe, expect, it } from '@jest/globals';
import { SAME_REQUEST_MS, stopAction } from '../../src/cli/stop-signals.js';

describe('stopAction', () => {
  it('stops gracefully on the first signal', () => {
    expect(stopAction(null, 0)).toBe('stop');
    expect(stopAction(null, 123_456)).toBe('stop');
  });

  it('takes a repeat within SAME_REQUEST_MS as the same request, and a later one as "stop now"', () => {
    expect(stopAction(5_000, 5_000)).toBe('same-request');
    expect(stopAction(5_000, 5_000 + SAME_REQUEST_MS - 1)).toBe('same-request');
    expect(stopAction(5_000, 5_000 + SAME_REQUEST_MS)).toBe('force');
    expect(stopAction(5_000, 60_000)).toBe('force');
  });
});
