import type { AllSubscription, RecordedEvent } from '../shared/event-store/event-store.port';

export interface SubscriptionBatch {
  readonly events: readonly RecordedEvent[];
  /** Set when the batch ends at the subscription's "caught up" marker. */
  readonly caughtUp: { readonly position: bigint | undefined } | undefined;
  /** The subscription ended (closed or failed); nothing follows this batch. */
  readonly ended: boolean;
  /** Why it ended, when it failed. */
  readonly failure: { readonly error: unknown } | undefined;
}

/**
 * Turns a subscription into batches: a batch is whatever has arrived, up to `maxBatchSize`,
 * once the subscription is momentarily idle (one macrotask turn without a new message), and it
 * never extends past a "caught up" marker. Reads ahead at most two batches.
 */
export class SubscriptionBatcher {
  private readonly buffer: Array<
    | { readonly kind: 'event'; readonly event: RecordedEvent }
    | { readonly kind: 'caughtUp'; readonly position: bigint | undefined }
  > = [];
  private ended = false;
  private failure: { readonly error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(
    subscription: AllSubscription,
    private readonly maxBatchSize: number,
  ) {
    void this.pump(subscription);
  }

  /** Resolves with the next batch; never rejects (a failed subscription ends with `failure`). */
  async next(): Promise<SubscriptionBatch> {
    while (this.buffer.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
    if (this.buffer.length < this.maxBatchSize && !this.ended) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const events: RecordedEvent[] = [];
    let caughtUp: SubscriptionBatch['caughtUp'];
    while (events.length < this.maxBatchSize && caughtUp === undefined) {
      const message = this.buffer.shift();
      if (message === undefined) break;
      if (message.kind === 'event') events.push(message.event);
      else caughtUp = { position: message.position };
    }
    this.wakeProducer?.();
    const ended = this.ended && this.buffer.length === 0;
    return { events, caughtUp, ended, failure: ended ? this.failure : undefined };
  }

  /** Whether a next batch has events (or a marker) ready: `next` would not wait for the log. */
  get ready(): boolean {
    return this.buffer.length > 0;
  }

  /** Ends the batches now (the caller closes the subscription itself). */
  stop(): void {
    this.ended = true;
    this.buffer.length = 0;
    this.wakeConsumer?.();
    this.wakeProducer?.();
  }

  private async pump(subscription: AllSubscription): Promise<void> {
    try {
      for await (const message of subscription) {
        if (this.ended) return;
        this.buffer.push(message);
        this.wakeConsumer?.();
        while (this.buffer.length >= 2 * this.maxBatchSize && !this.ended) {
          await new Promise<void>((resolve) => (this.wakeProducer = resolve));
        }
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wakeConsumer?.();
    }
  }
}
