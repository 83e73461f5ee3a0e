import { SingleBar } from 'cli-progress';
import type { Writable } from 'node:stream';
import { progressText } from './rebuild';
import { call, refusal, type ServiceOptions } from './service-api';

export interface VerifyOptions extends ServiceOptions {
  readonly name: string;
  /** Where the progress bar is drawn. */
  readonly output: Writable & { readonly isTTY?: boolean };
  readonly pollMs?: number;
}

/** The fields of `GET /admin/projections/{name}/verify` the CLI reads. */
export interface VerificationJson {
  readonly state: 'verifying' | 'identical' | 'different' | 'failed';
  readonly target_events: string;
  readonly lag_events: string;
  readonly compared_at: string | null;
  readonly rows: number | null;
  readonly tables: number | null;
  readonly difference: {
    readonly table: string;
    readonly key: Readonly<Record<string, unknown>>;
    readonly column: string | null;
    readonly live: unknown;
    readonly rebuilt: unknown;
  } | null;
  readonly error: string | null;
}

export interface VerifyReport {
  readonly identical: boolean;
  readonly text: string;
}

/**
 * Asks a running service to verify a projection (history.md: a rebuild from position 0 gives the
 * live read model row for row) and follows it with a progress bar, as `rebuild` does: the events
 * the scratch build has passed out of those up to the live build's checkpoint when asked.
 * Resolves with the verdict (the first difference when there is one); rejects when the service
 * refuses the verify or it could not be carried out.
 */
export async function verifyProjection(options: VerifyOptions): Promise<VerifyReport> {
  const path = `/admin/projections/${encodeURIComponent(options.name)}/verify`;
  const started = await call(options, path, 'POST');
  if (started.status !== 202)
    throw await refusal(options, started, `the verify of ${options.name}`);
  let verification = (await started.json()) as VerificationJson;
  const bar = new SingleBar({
    stream: options.output,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    format: `verify ${options.name} [{bar}] {percentage}% | {value}/{total} events{rate}{time_left}`,
  });
  const startedAt = performance.now();
  const progress = () => {
    const total = Number(verification.target_events);
    const done = Math.max(0, total - Number(verification.lag_events));
    bar.setTotal(total);
    bar.update(done, progressText('events', { done, total }, performance.now() - startedAt));
  };
  bar.start(Number(verification.target_events), 0, { rate: '', time_left: '' });
  try {
    while (verification.state === 'verifying') {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      const polled = await call(options, path, 'GET');
      if (polled.status !== 200)
        throw await refusal(options, polled, `the progress of the verify of ${options.name}`);
      verification = (await polled.json()) as VerificationJson;
      progress();
    }
  } finally {
    bar.stop();
  }
  if (verification.state === 'failed')
    throw new Error(
      `The verify of ${options.name} failed: ${verification.error ?? 'see the service log'}`,
    );
  return verificationReport(verification);
}

/** What `verify` prints of a verify that ended identical or different. */
export function verificationReport(verification: VerificationJson): VerifyReport {
  const { difference } = verification;
  if (difference === null) {
    const rows = verification.rows ?? 0;
    const tables = verification.tables ?? 0;
    return {
      identical: true,
      text: `identical: ${rows} ${rows === 1 ? 'row' : 'rows'} in ${tables} ${tables === 1 ? 'table' : 'tables'}`,
    };
  }
  const where = `first difference: table ${difference.table}, key ${JSON.stringify(difference.key)}`;
  if (difference.column !== null)
    return {
      identical: false,
      text: `${where}, column ${difference.column}: live ${JSON.stringify(difference.live)} vs rebuilt ${JSON.stringify(difference.rebuilt)}`,
    };
  const [side, row] =
    difference.live !== null ? ['live', difference.live] : ['rebuilt', difference.rebuilt];
  return {
    identical: false,
    text: `${where}: a row only the ${side} build has: ${JSON.stringify(row)}`,
  };
}
