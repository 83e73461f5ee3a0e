import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { handleCommand } from '../../../shared/event-sourcing/handle-command';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { presentCustomAttribute, type DataAttributeResponse } from '../../data-attribute.response';
import type { DataAttributeCommand } from '../../domain/data-attribute.commands';
import { dataAttributeDecider } from '../../domain/data-attribute.decider';
import { DataAttributeNotFound } from '../../domain/data-attribute.errors';
import type { DataAttributeEvent } from '../../domain/data-attribute.events';
import type { DataAttributesState } from '../../domain/data-attribute.state';
import { dataAttributesStream } from '../../domain/data-attribute.stream';
import { UpdateDataAttributeCommand } from './update-data-attribute.command';

@CommandHandler(UpdateDataAttributeCommand)
export class UpdateDataAttributeHandler implements ICommandHandler<UpdateDataAttributeCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data }: UpdateDataAttributeCommand): Promise<DataAttributeResponse> {
    const occurredAt = this.clock.now();
    const { state } = await handleCommand<
      DataAttributeCommand,
      DataAttributeEvent,
      DataAttributesState
    >(
      this.store,
      dataAttributesStream(data.workspaceId),
      dataAttributeDecider,
      { type: 'UpdateDataAttribute', data, now: Math.floor(occurredAt / 1000) },
      { metadata: { workspaceId: data.workspaceId, occurredAt } },
    );
    const attribute = state.attributes.get(data.id);
    if (!attribute) throw new DataAttributeNotFound(data.id);
    return presentCustomAttribute(attribute);
  }
}
