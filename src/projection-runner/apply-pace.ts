/** How far back measures count: a projection's pace follows its tables' size and the load. */
const WINDOW_MS = 10_000;
const MAX_SAMPLES = 64;

/**
 * The pace at which a feed has recently moved through the log while it had events waiting:
 * log events passed (applied or skipped) per second of work. Time spent waiting for new events
 * is not work, so a projection that idles at the head keeps the pace it showed when busy.
 */
export class ApplyPace {
  private readonly samples: Array<{
    readonly at: number;
    readonly events: number;
    readonly ms: number;
  }> = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** `events` log events passed in `ms` milliseconds of work. */
  record(events: number, ms: number): void {
    if (events <= 0) return;
    this.samples.push({ at: this.now(), events, ms: Math.max(ms, 0) });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** Events per second over the recent measures; undefined when there are none. */
  eventsPerSecond(): number | undefined {
    const since = this.now() - WINDOW_MS;
    while (this.samples[0] !== undefined && this.samples[0].at < since) this.samples.shift();
    if (this.samples.length === 0) return undefined;
    let events = 0;
    let ms = 0;
    for (const sample of this.samples) {
      events += sample.events;
      ms += sample.ms;
    }
    // Batches faster than the timer can tell apart still took some time.
    return (events * 1000) / Math.max(ms, 1);
  }
}
