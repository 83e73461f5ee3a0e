/** The longest pause before a retry (see `retryPauseMs`). */
export const MAX_RETRY_PAUSE_MS = 200;

/**
 * How long a writer that lost the race for a stream's revision to another process waits before
 * its `attempt + 1`th try: a random while, up to 5 ms doubled per attempt (at most
 * `MAX_RETRY_PAUSE_MS`). Writers of one process queue per stream and never race; those of two
 * instances on one EventStoreDB do, and retried at once they kept meeting again until their
 * attempts ran out.
 */
export function retryPauseMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(MAX_RETRY_PAUSE_MS, 5 * 2 ** attempt);
}

export const pauseBeforeRetry = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, retryPauseMs(attempt)));
