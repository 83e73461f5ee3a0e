import type { Readable } from 'node:stream';
import { EsdbReadStalled } from './esdb-mapping';

const HIGH_WATER = 64;

/**
 * Pulls items from one of the client's read or subscription streams.
 *
 * Why not `for await`: leaving such a loop early destroys the client's wrapper stream, which
 * unpipes the underlying gRPC call and leaves it paused with data buffered; the call then never
 * ends and `client.dispose()` waits for it forever. `release` instead cancels the call and lets
 * what is left drain, so the call finishes.
 */
export class EsdbStreamReader<T> {
  private readonly queue: T[] = [];
  private ended = false;
  private failure: unknown = undefined;
  private wake: (() => void) | undefined;
  private released = false;

  constructor(
    private readonly stream: Readable,
    private readonly cancel: () => Promise<void>,
    /**
     * How long `next` waits for the server before failing with `EsdbReadStalled`; a subscription,
     * which waits for new events, has no such bound.
     */
    private readonly idleMs?: number,
  ) {
    stream.on('data', (item: T) => {
      if (this.released) return;
      this.queue.push(item);
      if (this.queue.length >= HIGH_WATER) stream.pause();
      this.signal();
    });
    stream.on('end', () => this.finish(undefined));
    stream.on('close', () => this.finish(undefined));
    stream.on('error', (error: unknown) => this.finish(error));
  }

  /**
   * The next item, or `undefined` once the stream has ended (or the reader was released). Throws
   * the stream's error, or `EsdbReadStalled` when the server sent nothing for `idleMs` while it
   * waited (the time a caller spends between items does not count).
   */
  async next(): Promise<T | undefined> {
    for (;;) {
      const item = this.queue.shift();
      if (item !== undefined) {
        if (this.queue.length < HIGH_WATER / 2 && this.stream.isPaused()) this.stream.resume();
        return item;
      }
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the stream's own error as is
      if (this.failure !== undefined) throw this.failure;
      if (this.ended || this.released) return undefined;
      if (!(await this.waitForServer())) throw new EsdbReadStalled(this.idleMs!);
    }
  }

  /** Waits until the stream signals; false when `idleMs` passed first. */
  private waitForServer(): Promise<boolean> {
    const { idleMs } = this;
    return new Promise<boolean>((resolve) => {
      if (idleMs === undefined) {
        this.wake = () => resolve(true);
        return;
      }
      const timer = setTimeout(() => resolve(false), idleMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Stops reading: cancels the call unless it already ended and drains what it still sends. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.queue.length = 0;
    this.signal();
    if (!this.ended) await this.cancel().catch(() => undefined);
    this.stream.resume();
  }

  private finish(error: unknown): void {
    if (error !== undefined && this.failure === undefined) this.failure = error;
    this.ended = true;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * Iterates a client read stream; leaving early cancels the call (see `EsdbStreamReader`). A read
 * that receives nothing for `idleMs` is cancelled and fails with `EsdbReadStalled`.
 */
export async function* readItems<T>(
  stream: Readable & { cancel(): Promise<void> },
  idleMs: number,
): AsyncGenerator<T> {
  const reader = new EsdbStreamReader<T>(stream, () => stream.cancel(), idleMs);
  try {
    for (let item = await reader.next(); item !== undefined; item = await reader.next()) yield item;
  } finally {
    await reader.release();
  }
}
