import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HttpProblem } from '../shared/http/intercom-error';
import { AdminRoute } from '../workspaces/workspace-auth.guard';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
  type ProjectionStatus,
} from './projection-runner';
import { NoFieldsBody, TakesNoBody } from '../shared/http/no-fields-body';
import { DocumentedResponse, nullable } from '../shared/http/documented-route-schema';

const POSITION = { type: 'string', description: 'A log position, decimal' };
const EVENT_COUNT = {
  type: 'string',
  description:
    'A number of events, decimal: exact on the embedded store, estimated on EventStoreDB',
};
const FAILURE_SCHEMA = {
  type: ['object', 'null'],
  properties: { event_id: nullable('string'), position: POSITION, error: { type: 'string' } },
};

/** `projectionJson`'s object in a list, for the document. */
const PROJECTION_LIST_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['projection.list'] },
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', enum: ['projection'] },
          name: { type: 'string' },
          version: nullable('integer'),
          build: nullable('string'),
          state: {
            type: 'string',
            enum: ['catching_up', 'live', 'rebuilding', 'failed', 'standby', 'stopped'],
          },
          checkpoint: POSITION,
          head_position: POSITION,
          head_events: EVENT_COUNT,
          lag_positions: { type: 'string' },
          lag_events: EVENT_COUNT,
          lag_seconds: { type: 'number' },
          failure: FAILURE_SCHEMA,
          error: nullable('string'),
          rebuild: {
            type: ['object', 'null'],
            properties: {
              version: { type: 'integer' },
              state: { type: 'string', enum: ['rebuilding', 'failed', 'stopped'] },
              checkpoint: POSITION,
              lag_events: EVENT_COUNT,
              failure: FAILURE_SCHEMA,
            },
          },
        },
      },
    },
  },
};

const projectionStartedSchema = (type: string, state: string) => ({
  type: 'object',
  properties: {
    type: { type: 'string', enum: [type] },
    name: { type: 'string' },
    state: { type: 'string', enum: [state] },
  },
});

@ApiTags('Operations')
@ApiBearerAuth()
@AdminRoute()
@Controller('admin/projections')
export class ProjectionAdminController {
  constructor(@Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner) {}

  @Get()
  @ApiOperation({ summary: 'Status of every projection: version, checkpoint, head, lag, state' })
  @DocumentedResponse(PROJECTION_LIST_SCHEMA)
  async list(): Promise<{ type: 'projection.list'; data: ReturnType<typeof projectionJson>[] }> {
    return { type: 'projection.list', data: (await this.runner.status()).map(projectionJson) };
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @TakesNoBody()
  @ApiOperation({
    summary: 'Blue/green rebuild into fresh tables; the current build serves until the switch',
  })
  @DocumentedResponse(projectionStartedSchema('projection.rebuild', 'started'), 202)
  async rebuild(
    @Param('name') name: string,
    @Body() _body: NoFieldsBody,
  ): Promise<{ type: 'projection.rebuild'; name: string; state: 'started' }> {
    const status = await this.statusOf(name);
    // Only the instance holding the projection's lock builds it; here the request would be lost.
    if (status.state === 'standby')
      throw HttpProblem.of(
        409,
        'conflict',
        `Projection ${name} is run by another instance: send the rebuild to that one`,
      );
    // Answered once the new build is under way; it goes on in the background, its progress in
    // the status. One that cannot start (its tables not made: the read store down) is refused.
    try {
      await this.runner.requestRebuild(name);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpProblem(
        503,
        [
          {
            code: 'service_unavailable',
            message: `The rebuild of ${name} could not start: ${reason}`,
          },
        ],
        { 'Retry-After': '5' },
      );
    }
    return { type: 'projection.rebuild', name, state: 'started' };
  }

  @Post(':name/retry')
  @HttpCode(202)
  @TakesNoBody()
  @ApiOperation({
    summary: 'Restart a failed projection (or failed rebuild) from its checkpoint, its cause fixed',
  })
  @DocumentedResponse(projectionStartedSchema('projection.retry', 'restarted'), 202)
  async retry(
    @Param('name') name: string,
    @Body() _body: NoFieldsBody,
  ): Promise<{ type: 'projection.retry'; name: string; state: 'restarted' }> {
    const status = await this.statusOf(name);
    if (status.state !== 'failed' && status.rebuild?.state !== 'failed') {
      throw HttpProblem.of(409, 'conflict', `Projection ${name} has not failed (${status.state})`);
    }
    await this.runner.retry(name);
    return { type: 'projection.retry', name, state: 'restarted' };
  }

  private async statusOf(name: string): Promise<ProjectionStatus> {
    const status = (await this.runner.status()).find((candidate) => candidate.name === name);
    if (!status) throw HttpProblem.of(404, 'not_found', `Projection ${name} not found`, 'name');
    return status;
  }
}

/** A projection's status as the operations route answers it (positions as decimal text). */
export function projectionJson(status: ProjectionStatus) {
  return {
    type: 'projection' as const,
    name: status.name,
    version: status.version ?? null,
    build: status.build ?? null,
    state: status.state,
    checkpoint: status.checkpoint.toString(),
    head_position: status.headPosition.toString(),
    head_events: status.headEvents.toString(),
    lag_positions: status.lagPositions.toString(),
    lag_events: status.lagEvents.toString(),
    lag_seconds: status.lagSeconds,
    failure: failureJson(status.failure),
    error: status.error ?? null,
    rebuild: status.rebuild
      ? {
          version: status.rebuild.version,
          state: status.rebuild.state,
          checkpoint: status.rebuild.checkpoint.toString(),
          lag_events: status.rebuild.lagEvents.toString(),
          // Why a rebuild stopped: the poison event, as for the live build.
          failure: failureJson(status.rebuild.failure),
        }
      : null,
  };
}

const failureJson = (failure: ProjectionStatus['failure']) =>
  failure
    ? {
        event_id: failure.eventId ?? null,
        position: failure.position.toString(),
        error: failure.error,
      }
    : null;
