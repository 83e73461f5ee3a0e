import { MAX_RETRY_PAUSE_MS, retryPauseMs } from './retry-pause';

describe('retryPauseMs', () => {
  it('is a random share of a bound that doubles with each attempt, up to the maximum', () => {
    expect([1, 2, 3, 4].map((attempt) => retryPauseMs(attempt, () => 1))).toEqual([10, 20, 40, 80]);
    expect(retryPauseMs(10, () => 1)).toBe(MAX_RETRY_PAUSE_MS);
    expect(retryPauseMs(3, () => 0.5)).toBe(20);
    expect(retryPauseMs(3, () => 0)).toBe(0);
  });
});
