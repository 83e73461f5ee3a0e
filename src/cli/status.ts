import { listProjections, type ProjectionJson, type ServiceOptions } from './service-api';

/** States in which a projection serves what the log says, or is on its way there. */
const HEALTHY_STATES: ReadonlySet<string> = new Set([
  'live',
  'catching_up',
  'rebuilding',
  'standby',
]);

export interface StatusReport {
  /** A table of the projections, then a line per problem. */
  readonly text: string;
  /** No projection failed, stopped, or could not start, and no rebuild did. */
  readonly healthy: boolean;
}

/** `GET /admin/projections` as a table an operator reads at a glance (`contacts-cli status`). */
export async function projectionStatus(options: ServiceOptions): Promise<StatusReport> {
  return statusReport(await listProjections(options));
}

export function statusReport(projections: readonly ProjectionJson[]): StatusReport {
  const rows = projections.map((projection) => [
    projection.name,
    projection.state,
    projection.build ?? '-',
    behind(projection),
    rebuildOf(projection),
  ]);
  const header = ['projection', 'state', 'build', 'behind', 'rebuild'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ');
  const problems = projections.flatMap(problemsOf);
  return {
    text: [line(header), ...rows.map(line), ...problems].join('\n'),
    healthy: problems.length === 0,
  };
}

function behind(projection: ProjectionJson): string {
  if (projection.lag_events === undefined) return '-';
  const events = Number(projection.lag_events);
  const unit = events === 1 ? 'event' : 'events';
  const age =
    events > 0 && projection.lag_seconds !== undefined
      ? ` (oldest ${Math.round(projection.lag_seconds)} s)`
      : '';
  return `${events.toLocaleString('en-US')} ${unit}${age}`;
}

function rebuildOf(projection: ProjectionJson): string {
  const rebuild = projection.rebuild;
  if (rebuild === null) return '-';
  const left =
    rebuild.lag_events === undefined
      ? ''
      : `, ${Number(rebuild.lag_events).toLocaleString('en-US')} events to go`;
  return `${rebuild.state}${left}`;
}

function problemsOf(projection: ProjectionJson): string[] {
  const problems: string[] = [];
  const why = projection.failure?.error ?? projection.error ?? undefined;
  if (!HEALTHY_STATES.has(projection.state) || why !== undefined)
    problems.push(`${projection.name} ${projection.state}: ${why ?? 'see the service log'}`);
  const rebuild = projection.rebuild;
  if (rebuild && rebuild.state !== 'rebuilding')
    problems.push(
      `${projection.name}'s rebuild ${rebuild.state}: ${rebuild.failure?.error ?? 'see the service log'}`,
    );
  return problems;
}
