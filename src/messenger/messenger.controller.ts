import { Body, Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '../shared/event-store/event-store.port';
import { HttpProblem } from '../shared/http/intercom-error';
import { CHECKS_ITEMS_ITSELF } from '../shared/http/json-bodies';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { IngestMessengerEventsCommand } from './commands/ingest-messenger-events/ingest-messenger-events.command';
import { parseMessengerBatch } from './domain/messenger-batch.parse';
import { IngestionBackpressure } from './ingestion-backpressure';
import type { IngestionResult } from './ingestion-result';

@ApiTags('Messenger ingestion')
@ApiBearerAuth()
@Controller('messenger')
export class MessengerController {
  constructor(
    private readonly commands: CommandBus,
    private readonly backpressure: IngestionBackpressure,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /**
   * The body is taken as `unknown` so the global validation pipe leaves it alone: items are
   * validated one by one, each problem reported on its own item.
   */
  @Post('events')
  @RouteConfig(CHECKS_ITEMS_ITSELF)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ingest a batch of messenger events (at most 500 items / 1 MiB); one result per item',
  })
  async ingest(
    @WorkspaceId() workspaceId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ type: 'ingestion.result'; results: IngestionResult[] }> {
    const batch = parseMessengerBatch(body);
    if (!batch.ok) throw new HttpProblem(400, batch.problems);
    await this.backpressure.admit();
    const results = await this.commands.execute(
      new IngestMessengerEventsCommand(workspaceId, batch.items),
    );
    // Ingestion answers once its items are durable, without waiting for the read models: a read
    // sending this back as X-Min-Position waits until they reflect the batch.
    void reply.header('X-Position', String(await this.store.headPosition()));
    return { type: 'ingestion.result', results };
  }
}
