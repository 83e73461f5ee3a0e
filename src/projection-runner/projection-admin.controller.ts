import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HttpProblem } from '../shared/http/intercom-error';
import { AdminRoute } from '../workspaces/workspace-auth.guard';
import {
  PROJECTION_RUNNER,
  ProjectionBusy,
  type ProjectionRunner,
  type ProjectionStatus,
  type ProjectionVerification,
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

/** Any JSON value a read-model column holds (a row, for a row only one build has). */
const COLUMN_VALUE = { description: 'A column value as JSON (an integer beyond 2^53 as text)' };

const VERIFICATION_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['projection.verification'] },
    name: { type: 'string' },
    version: { type: 'integer' },
    build: { type: 'string', description: 'The live build compared' },
    state: { type: 'string', enum: ['verifying', 'identical', 'different', 'failed'] },
    target_position: { ...POSITION, description: "The live build's checkpoint when asked" },
    target_events: EVENT_COUNT,
    checkpoint: { ...POSITION, description: "The scratch build's checkpoint" },
    lag_events: EVENT_COUNT,
    compared_at: {
      ...nullable('string'),
      description: 'The position both builds were compared at',
    },
    rows: { ...nullable('integer'), description: 'Rows compared, once identical' },
    tables: { ...nullable('integer'), description: 'Tables compared, once identical' },
    difference: {
      type: ['object', 'null'],
      description:
        "The first difference in primary-key order; `column` null: a row only one build has (that build's row; null for the other)",
      properties: {
        table: { type: 'string' },
        key: { type: 'object', additionalProperties: true },
        column: nullable('string'),
        live: COLUMN_VALUE,
        rebuilt: COLUMN_VALUE,
      },
    },
    error: nullable('string'),
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
    // Answered once the new build is under way; it goes on in the background, its progress in
    // the status.
    await this.started(name, 'rebuild', () => this.runner.requestRebuild(name));
    return { type: 'projection.rebuild', name, state: 'started' };
  }

  @Post(':name/verify')
  @HttpCode(202)
  @TakesNoBody()
  @ApiOperation({
    summary:
      'Rebuild from position 0 into scratch tables and compare with the live build row for row; follow it at GET',
  })
  @DocumentedResponse(VERIFICATION_SCHEMA, 202)
  async verify(@Param('name') name: string, @Body() _body: NoFieldsBody) {
    return verificationJson(await this.started(name, 'verify', () => this.runner.verify(name)));
  }

  /**
   * Starts an operation on a projection this instance runs: only the instance holding the
   * projection's lock builds it (elsewhere the request would be lost), one operation at a time
   * (409), and one that cannot start (its tables not made: the read store down) is refused 503.
   */
  private async started<T>(
    name: string,
    operation: 'rebuild' | 'verify',
    start: () => Promise<T>,
  ): Promise<T> {
    const status = await this.statusOf(name);
    if (status.state === 'standby')
      throw HttpProblem.of(
        409,
        'conflict',
        `Projection ${name} is run by another instance: send the ${operation} to that one`,
      );
    try {
      return await start();
    } catch (error) {
      if (error instanceof ProjectionBusy) throw HttpProblem.of(409, 'conflict', error.message);
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpProblem(
        503,
        [
          {
            code: 'service_unavailable',
            message: `The ${operation} of ${name} could not start: ${reason}`,
          },
        ],
        { 'Retry-After': '5' },
      );
    }
  }

  @Get(':name/verify')
  @ApiOperation({ summary: 'The last verify asked of this instance: its progress, or its result' })
  @DocumentedResponse(VERIFICATION_SCHEMA)
  async verification(@Param('name') name: string) {
    await this.statusOf(name);
    const verification = this.runner.verification(name);
    if (verification === undefined)
      throw HttpProblem.of(404, 'not_found', `No verify of ${name} was asked of this instance`);
    return verificationJson(verification);
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

/** A verify as the operations routes answer it (positions as decimal text, values as JSON). */
export function verificationJson(verification: ProjectionVerification) {
  const { comparison } = verification;
  const difference = comparison?.identical === false ? comparison.difference : undefined;
  return {
    type: 'projection.verification' as const,
    name: verification.name,
    version: verification.version,
    build: verification.build,
    state: verification.state,
    target_position: verification.target.toString(),
    target_events: verification.targetEvents.toString(),
    checkpoint: verification.checkpoint.toString(),
    lag_events: verification.lagEvents.toString(),
    compared_at: verification.comparedAt?.toString() ?? null,
    rows: comparison?.identical ? comparison.rows : null,
    tables: comparison?.identical ? comparison.tables : null,
    difference: difference
      ? {
          table: difference.table,
          key: columnJson(difference.key),
          column: difference.column ?? null,
          live: columnJson(difference.live),
          rebuilt: columnJson(difference.rebuilt),
        }
      : null,
    error: verification.error ?? null,
  };
}

/** A read-model value as JSON: what the driver gives, but for what JSON has no form of; no row as null. */
function columnJson(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(columnJson);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, columnJson(item)]));
  return value;
}
