import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { handleCommand } from '../../../shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { presentCustomAttribute, type DataAttributeResponse } from '../../data-attribute.response';
import type { DataAttributeCommand } from '../../domain/data-attribute.commands';
import { dataAttributeDecider } from '../../domain/data-attribute.decider';
import type { DataAttributeEvent } from '../../domain/data-attribute.events';
import type { DataAttributesState } from '../../domain/data-attribute.state';
import { dataAttributesStream } from '../../domain/data-attribute.stream';
import { CreateDataAttributeCommand } from './create-data-attribute.command';

@CommandHandler(CreateDataAttributeCommand)
export class CreateDataAttributeHandler implements ICommandHandler<CreateDataAttributeCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data }: CreateDataAttributeCommand): Promise<DataAttributeResponse> {
    const occurredAt = this.clock.now();
    const { events, state } = await handleCommand<
      DataAttributeCommand,
      DataAttributeEvent,
      DataAttributesState
    >(
      this.store,
      dataAttributesStream(data.workspaceId),
      dataAttributeDecider,
      { type: 'CreateDataAttribute', data, now: Math.floor(occurredAt / 1000) },
      { metadata: { workspaceId: data.workspaceId, occurredAt } },
    );
    const [created] = events;
    const attribute = created ? state.attributes.get(created.data.id) : undefined;
    if (!attribute) throw new Error('CreateDataAttribute recorded no attribute');
    return presentCustomAttribute(attribute);
  }
}
