import { Controller, Get, HttpCode, Inject, Logger } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HttpProblem } from '../shared/http/intercom-error';
import { PublicReason, READINESS_CHECKS, type ReadinessCheck } from './readiness-check';
import { PublicRoute } from '../workspaces/workspace-auth.guard';
import { DocumentedResponse } from '../shared/http/documented-route-schema';

@ApiTags('Operations')
@PublicRoute()
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Readiness');

  constructor(@Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[]) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @DocumentedResponse({
    type: 'object',
    properties: { status: { type: 'string', enum: ['ok'] } },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: event store and read store reachable, no projection failed',
  })
  @DocumentedResponse({
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['ok'] },
      checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok'] } },
    },
  })
  async ready(): Promise<{ status: 'ok'; checks: Record<string, string> }> {
    const results = await Promise.all(
      this.checks.map(async (check) => {
        try {
          await check.check();
          return [check.name, 'ok'] as const;
        } catch (error) {
          if (error instanceof PublicReason) return [check.name, error.message] as const;
          this.logger.warn(
            `${check.name} is not ready: ${error instanceof Error ? error.message : String(error)}`,
          );
          return [check.name, 'unavailable'] as const;
        }
      }),
    );
    const failing = results.filter(([, outcome]) => outcome !== 'ok');
    if (failing.length > 0) {
      throw new HttpProblem(
        503,
        failing.map(([name, outcome]) => ({
          code: 'service_unavailable',
          message: `${name}: ${outcome}`,
          field: name,
        })),
      );
    }
    return { status: 'ok', checks: Object.fromEntries(results) };
  }
}
