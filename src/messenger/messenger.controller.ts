import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ERROR_LIST_SCHEMA, HttpProblem } from '../shared/http/intercom-error';
import { ApiRoute } from '../shared/http/route-config';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { IngestMessengerEventsCommand } from './commands/ingest-messenger-events/ingest-messenger-events.command';
import { parseMessengerBatch } from './domain/messenger-batch.parse';
import { IngestionBackpressure } from './ingestion-backpressure';
import { INGESTION_RESULT_SCHEMA, MESSENGER_BATCH_SCHEMA } from './messenger-batch.schema';
import type { IngestionResult } from './ingestion-result';

@ApiTags('Messenger ingestion')
@ApiBearerAuth()
@Controller('messenger')
export class MessengerController {
  constructor(
    private readonly commands: CommandBus,
    private readonly backpressure: IngestionBackpressure,
  ) {}

  /**
   * The body is taken as `unknown` so the global validation pipe leaves it alone: items are
   * validated one by one, each problem reported on its own item.
   */
  @Post('events')
  @ApiRoute({ checksItemsItself: true, reportsPosition: true })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ingest a batch of messenger events (at most 500 items / 1 MiB); one result per item',
  })
  @ApiBody({ schema: MESSENGER_BATCH_SCHEMA })
  @ApiOkResponse({ schema: INGESTION_RESULT_SCHEMA })
  @ApiResponse({
    status: 429,
    description: 'The read models are behind the log: retry after the delay (no item was taken)',
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
      'X-RateLimit-Limit': {
        description: 'How far (in log positions) the read models may fall behind',
        schema: { type: 'integer' },
      },
      'X-RateLimit-Remaining': { description: 'Always 0 on a 429', schema: { type: 'integer' } },
      'X-RateLimit-Reset': {
        description: 'Unix seconds when a retry is worthwhile',
        schema: { type: 'integer' },
      },
    },
    content: { 'application/json': { schema: ERROR_LIST_SCHEMA } },
  })
  async ingest(
    @WorkspaceId() workspaceId: string,
    @Body() body: unknown,
  ): Promise<{ type: 'ingestion.result'; results: IngestionResult[] }> {
    const batch = parseMessengerBatch(body);
    if (!batch.ok) throw new HttpProblem(400, batch.problems);
    await this.backpressure.admit();
    const results = await this.commands.execute(
      new IngestMessengerEventsCommand(workspaceId, batch.items),
    );
    return { type: 'ingestion.result', results };
  }
}
