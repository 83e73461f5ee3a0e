import { Query } from '@nestjs/cqrs';
import type { FunnelInterval, LifecycleInterval } from '../../lifecycle-intervals';
import type { LifecycleFunnelResponse } from './lifecycle-funnel.response';

export class LifecycleFunnelQuery extends Query<LifecycleFunnelResponse> {
  constructor(
    readonly workspaceId: string,
    readonly from: number,
    readonly to: number,
    readonly interval: LifecycleInterval,
    readonly timeZone: string,
    /** `[from, to)` cut at the zone's days or weeks (see `lifecycleIntervals`). */
    readonly intervals: readonly FunnelInterval[],
    /** `X-Min-Position`: answer only once the read model has passed it. */
    readonly minPosition: bigint | undefined,
  ) {
    super();
  }
}
