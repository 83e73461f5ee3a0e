import { ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { HttpProblem } from '../shared/http/intercom-error';
import {
  LIFECYCLE_INTERVALS,
  lifecycleIntervals,
  MAX_LIFECYCLE_INTERVALS,
  type FunnelInterval,
  type LifecycleInterval,
} from './lifecycle-intervals';

/** The query of `GET /analytics/lifecycle`, taken as it came and read by `funnelRangeOf`. */
export class LifecycleFunnelRequest {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Unix seconds, inclusive (required)',
  })
  @Allow()
  readonly from?: string | readonly string[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Unix seconds, exclusive, after `from` (required)',
  })
  @Allow()
  readonly to?: string | readonly string[];

  @ApiPropertyOptional({
    enum: LIFECYCLE_INTERVALS,
    default: 'day',
    description: `Calendar days or Monday-to-Sunday weeks of the workspace's time zone; at most ${MAX_LIFECYCLE_INTERVALS} of them`,
  })
  @Allow()
  readonly interval?: string | readonly string[];
}

export interface FunnelRange {
  readonly from: number;
  readonly to: number;
  readonly interval: LifecycleInterval;
  readonly intervals: readonly FunnelInterval[];
}

/** The funnel's range and intervals, or a 400 naming the parameter at fault. */
export function funnelRangeOf(request: LifecycleFunnelRequest, timeZone: string): FunnelRange {
  const from = instantOf(request.from, 'from');
  const to = instantOf(request.to, 'to');
  if (to <= from) throw HttpProblem.of(400, 'parameter_invalid', 'to must be after from', 'to');
  const interval = request.interval ?? 'day';
  if (typeof interval !== 'string' || !isInterval(interval))
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      `interval must be one of ${LIFECYCLE_INTERVALS.join(', ')}`,
      'interval',
    );
  const intervals = lifecycleIntervals(from, to, interval, timeZone);
  if (intervals === undefined)
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      `from and to span more than ${MAX_LIFECYCLE_INTERVALS} intervals of a ${interval}: ask for a shorter range${interval === 'day' ? ', or interval=week' : ''}`,
      'to',
    );
  return { from, to, interval, intervals };
}

const isInterval = (value: string): value is LifecycleInterval =>
  (LIFECYCLE_INTERVALS as readonly string[]).includes(value);

function instantOf(value: string | readonly string[] | undefined, field: string): number {
  if (value === undefined)
    throw HttpProblem.of(400, 'parameter_not_found', `${field} is required`, field);
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value))
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      `${field} must be an instant in unix seconds`,
      field,
    );
  return Number(value);
}
