import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { handleDataAttributeCommand } from '../../data-attribute.command-handling';
import { presentCustomAttribute, type DataAttributeResponse } from '../../data-attribute.response';
import { DataAttributeNotFound } from '../../domain/data-attribute.errors';
import { UpdateDataAttributeCommand } from './update-data-attribute.command';

@CommandHandler(UpdateDataAttributeCommand)
export class UpdateDataAttributeHandler implements ICommandHandler<UpdateDataAttributeCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data }: UpdateDataAttributeCommand): Promise<DataAttributeResponse> {
    const { state } = await handleDataAttributeCommand(
      this.store,
      this.clock,
      data.workspaceId,
      (now) => ({
        type: 'UpdateDataAttribute',
        data,
        now,
      }),
    );
    const attribute = state.attributes.get(data.id);
    if (!attribute) throw new DataAttributeNotFound(data.id);
    return presentCustomAttribute(attribute);
  }
}
