import { Command } from '@nestjs/cqrs';
import type { IngestionResult } from '../../ingestion-result';

/** A batch of messenger items, validated as a batch (not item by item) by the controller. */
export class IngestMessengerEventsCommand extends Command<IngestionResult[]> {
  constructor(
    readonly workspaceId: string,
    readonly items: readonly unknown[],
  ) {
    super();
  }
}
