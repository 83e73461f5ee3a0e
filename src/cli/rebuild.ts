import { Format, SingleBar } from 'cli-progress';
import type { Writable } from 'node:stream';
import {
  call,
  listProjections,
  refusal,
  type ProjectionJson,
  type ServiceOptions,
} from './service-api';

export interface RebuildOptions extends ServiceOptions {
  readonly name: string;
  /** Where the progress bar is drawn. */
  readonly output: Writable & { readonly isTTY?: boolean };
  readonly pollMs?: number;
}

/**
 * Starts a blue/green rebuild of a projection on a running service and follows it to the switch
 * (architecture.md: a CLI with a progress bar and an ETA): the bar is the events the new build
 * has passed out of those in the log (from the head when it was asked), with events/s since it
 * started and the time left. Resolves with the build now serving; rejects when the service
 * refuses the rebuild or the rebuild fails.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<string> {
  const before = await projectionOf(options);
  const started = await call(
    options,
    `/admin/projections/${encodeURIComponent(options.name)}/rebuild`,
    'POST',
  );
  if (started.status !== 202)
    throw await refusal(options, started, `the rebuild of ${options.name}`);
  const unit = progressUnitOf(before);
  const bar = new SingleBar({
    stream: options.output,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    format: `${options.name} [{bar}] {percentage}% | {value}/{total} ${unit}{rate}{time_left}`,
  });
  // The new build applies the log from its start: the log as it was when the rebuild was asked
  // is its total until a poll finds more. No rate, so no time left, yet: nothing is measured.
  bar.start(rebuildProgress(unit, before).total, 0, { rate: '', time_left: '' });
  const startedAt = performance.now();
  const progress = (now: ProjectionJson) => {
    const { done, total } = rebuildProgress(unit, now);
    bar.setTotal(total);
    bar.update(done, progressText(unit, { done, total }, performance.now() - startedAt));
  };
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      const now = await projectionOf(options);
      if (now.rebuild?.state === 'failed' || now.rebuild?.state === 'stopped') {
        throw new Error(
          `The rebuild of ${options.name} ${now.rebuild.state}: ${now.rebuild.failure?.error ?? 'see the service log'}`,
        );
      }
      if (now.rebuild === null) {
        // Not begun yet (a switch's grace period), or done: the serving build tells which.
        if (now.build !== before.build && now.state !== 'failed') {
          progress(now);
          return now.build ?? '';
        }
        continue;
      }
      progress(now);
    }
  } finally {
    bar.stop();
  }
}

/**
 * What the bar counts: events where the service says how many (`head_events`, and a rebuild's
 * `lag_events`: exact on the embedded store, whose positions number the events one by one;
 * estimated from log bytes on EventStoreDB, whose positions are byte offsets); log positions,
 * named so, from a service that does not.
 */
export type ProgressUnit = 'events' | 'positions';

export function progressUnitOf(status: ProjectionJson): ProgressUnit {
  return status.head_events === undefined ? 'positions' : 'events';
}

/** How far a rebuild is, in `unit`s: all of the log once no rebuild is under way (it switched). */
export interface RebuildProgress {
  readonly done: number;
  readonly total: number;
}

export function rebuildProgress(unit: ProgressUnit, status: ProjectionJson): RebuildProgress {
  if (unit === 'positions') {
    const head = Number(status.head_position);
    return { done: status.rebuild ? Number(status.rebuild.checkpoint) : head, total: head };
  }
  const total = Number(status.head_events ?? 0);
  const left = status.rebuild ? Number(status.rebuild.lag_events ?? total) : 0;
  return { done: Math.max(0, total - left), total };
}

/** Shorter than this, the time since the rebuild started is no measure of its rate. */
const MIN_TIMED_MS = 1;

/**
 * The bar's rate and time left, for a rebuild `progress` along `elapsedMs` after it started: the
 * rate is all it passed over all that time, so a rebuild done by the first poll shows the rate it
 * had at least, rather than none measured. Without a rate above 0 there is no time left to tell:
 * none is shown rather than a guess.
 */
export function progressText(
  unit: ProgressUnit,
  progress: RebuildProgress,
  elapsedMs: number,
): { readonly rate: string; readonly time_left: string } {
  if (elapsedMs < MIN_TIMED_MS) return { rate: '', time_left: '' };
  const perSecond = (progress.done * 1000) / elapsedMs;
  const rate = ` | ${Math.round(perSecond)} ${unit}/s`;
  if (perSecond <= 0) return { rate, time_left: '' };
  const seconds = Math.ceil(Math.max(0, progress.total - progress.done) / perSecond);
  // As cli-progress draws its own ETA (which says 0s before any progress is known).
  return { rate, time_left: ` | ETA ${Format.TimeFormat(seconds, { autopaddingChar: '' }, 5)}` };
}

async function projectionOf(options: RebuildOptions): Promise<ProjectionJson> {
  const data = await listProjections(options);
  const projection = data.find((candidate) => candidate.name === options.name);
  if (!projection) {
    throw new Error(
      `No projection ${options.name}; the service runs ${data.map((candidate) => candidate.name).join(', ')}`,
    );
  }
  return projection;
}
