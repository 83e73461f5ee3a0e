import { Controller, Get, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONTACTS_PROJECTION } from '../../../projections/contacts/contacts.projection';
import { ReadYourWrites } from '../../projection-runner/projection-runner.module';
import { MinPosition } from '../../shared/http/intercom-version';
import { TakesQueryParameters } from '../../shared/http/query-parameters';
import { WorkspaceId } from '../../workspaces/workspace-auth.guard';
import { EXPORT_QUERY_PARAMETERS, exportSelectionOf } from './export-query';
import { EXPORTED_EVENT_TYPES } from './exported-event';
import { WorkspaceEventExport } from './workspace-event-export';

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

@ApiTags('History')
@ApiBearerAuth()
@Controller('export')
export class ExportController {
  constructor(
    private readonly exports: WorkspaceEventExport,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  /**
   * history.md's export: the workspace's events, one JSON object a line, in log order, streamed
   * as the client reads them (a slow reader slows the reading of the log, never fills memory).
   */
  @Get('events')
  @ApiOperation({
    summary:
      "The workspace's events as NDJSON, in log order: contacts', segments' and data attributes' (ours)",
  })
  @ApiProduces(NDJSON_CONTENT_TYPE)
  @ApiResponse({
    status: 200,
    description:
      'One event a line: position, id, stream_id, contact_id, revision, type, occurred_at, recorded_at (unix seconds), data, metadata',
    schema: { type: 'string' },
    headers: {
      'X-Position': {
        description:
          'The last log position the export reaches (the head when asked, or to_position): the after_position of the next one',
        schema: { type: 'string' },
      },
    },
  })
  @TakesQueryParameters(...EXPORT_QUERY_PARAMETERS)
  @ApiQuery({
    name: 'from',
    required: false,
    schema: { type: 'integer', minimum: 0 },
    description: 'Event time, unix seconds, inclusive',
  })
  @ApiQuery({
    name: 'to',
    required: false,
    schema: { type: 'integer', minimum: 0 },
    description: 'Event time, unix seconds, inclusive',
  })
  @ApiQuery({
    name: 'after_position',
    required: false,
    schema: { type: 'string', pattern: '^\\d+$' },
    description: 'Log position, exclusive',
  })
  @ApiQuery({
    name: 'to_position',
    required: false,
    schema: { type: 'string', pattern: '^\\d+$' },
    description: 'Log position, inclusive',
  })
  @ApiQuery({
    name: 'type',
    required: false,
    schema: { type: 'string' },
    description: `Event types, comma-separated: ${EXPORTED_EVENT_TYPES.join(', ')}`,
  })
  async events(
    @WorkspaceId() workspaceId: string,
    @Req() request: FastifyRequest<{ Querystring: Record<string, string | string[]> }>,
    @Res({ passthrough: true }) reply: FastifyReply,
    @MinPosition() minPosition: bigint | undefined,
  ): Promise<StreamableFile> {
    const selection = exportSelectionOf(request.query);
    // The log holds every position up to its head: only one past it is refused (as on any read).
    await this.readYourWrites.waitForMinPosition(minPosition, [CONTACTS_PROJECTION]);
    const { end, events } = await this.exports.open(workspaceId, selection);
    void reply.header('X-Position', end.toString());
    return new StreamableFile(this.exports.ndjson(events, request.raw.socket), {
      type: NDJSON_CONTENT_TYPE,
    });
  }
}
