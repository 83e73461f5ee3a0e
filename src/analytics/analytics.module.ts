import { Module } from '@nestjs/common';
import { LifecycleFunnelController } from './lifecycle-funnel.controller';
import { LifecycleFunnelHandler } from './queries/lifecycle-funnel/lifecycle-funnel.handler';

/**
 * Analysts' reads over history (history.md). Needs the projection runner
 * (`ProjectionRunnerModule`, global) whose `lifecycle` projection keeps what the funnel counts,
 * and the workspaces' time zones (`WorkspacesModule`, global).
 */
@Module({
  controllers: [LifecycleFunnelController],
  providers: [LifecycleFunnelHandler],
})
export class AnalyticsModule {}
