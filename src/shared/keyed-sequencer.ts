/**
 * Runs tasks one after another per key and concurrently across keys. A task may hold several
 * keys: it is queued behind every earlier task of each of them at the moment it is submitted, so
 * the order of submission is kept per key, and since queues only ever point to earlier tasks no
 * two tasks can wait for each other.
 */
export class KeyedSequencer {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const earlier = unique.map((key) => this.tails.get(key) ?? Promise.resolve());
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finished = resolve));
    for (const key of unique) this.tails.set(key, done);
    const result = Promise.all(earlier).then(task);
    const release = () => {
      finished();
      for (const key of unique) if (this.tails.get(key) === done) this.tails.delete(key);
    };
    result.then(release, release);
    return result;
  }

  /** Whether a task holding `key` is queued or running. */
  isBusy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Keys with queued or running tasks (for tests: the map must drain, not grow). */
  get size(): number {
    return this.tails.size;
  }
}
