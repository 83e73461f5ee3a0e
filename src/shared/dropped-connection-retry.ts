import { isDroppedConnection } from './storage-errors';

/** A start-up step's attempts on a store whose connection keeps breaking: 0.1 + 0.2 + 0.4 + 0.8 s apart. */
const ATTEMPTS = 5;
const BASE_DELAY_MS = 100;

/**
 * A step run again, on a fresh connection (the pool drops a broken one), when the store's
 * connection broke under it: a server restarting or an operator terminating sessions while the
 * service starts is passing. A failure that outlasts the attempts is rethrown.
 */
export async function outlastingDroppedConnections<T>(
  step: () => Promise<T>,
  onRetry: (error: unknown, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!isDroppedConnection(error) || attempt >= ATTEMPTS) throw error;
      const delayMs = BASE_DELAY_MS * 2 ** (attempt - 1);
      onRetry(error, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
