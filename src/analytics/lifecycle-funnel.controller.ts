import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MinPosition } from '../shared/http/intercom-version';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { WorkspaceTimeZones } from '../workspaces/workspace-time-zones';
import { funnelRangeOf, LifecycleFunnelRequest } from './lifecycle-funnel.request';
import { LifecycleFunnelQuery } from './queries/lifecycle-funnel/lifecycle-funnel.query';
import { LifecycleFunnelResponse } from './queries/lifecycle-funnel/lifecycle-funnel.response';

/** Our extension `GET /analytics/lifecycle` (history.md's funnel). */
@ApiTags('Analytics')
@ApiBearerAuth()
@Controller('analytics')
export class LifecycleFunnelController {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly timeZones: WorkspaceTimeZones,
  ) {}

  @Get('lifecycle')
  @ApiOperation({
    summary:
      "Visitors, leads and users created, and conversions visitor→lead and lead→user, per day or week of the workspace's time zone, by event time",
  })
  @ApiOkResponse({ type: LifecycleFunnelResponse })
  lifecycle(
    @WorkspaceId() workspaceId: string,
    @Query() request: LifecycleFunnelRequest,
    @MinPosition() minPosition: bigint | undefined,
  ): Promise<LifecycleFunnelResponse> {
    const timeZone = this.timeZones.of(workspaceId);
    const { from, to, interval, intervals } = funnelRangeOf(request, timeZone);
    return this.queryBus.execute(
      new LifecycleFunnelQuery(workspaceId, from, to, interval, timeZone, intervals, minPosition),
    );
  }
}
