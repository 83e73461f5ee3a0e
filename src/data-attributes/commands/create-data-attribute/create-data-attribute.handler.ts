import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { handleDataAttributeCommand } from '../../data-attribute.command-handling';
import { presentCustomAttribute, type DataAttributeResponse } from '../../data-attribute.response';
import { CreateDataAttributeCommand } from './create-data-attribute.command';

@CommandHandler(CreateDataAttributeCommand)
export class CreateDataAttributeHandler implements ICommandHandler<CreateDataAttributeCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ data }: CreateDataAttributeCommand): Promise<DataAttributeResponse> {
    const { events, state } = await handleDataAttributeCommand(
      this.store,
      this.clock,
      data.workspaceId,
      (now) => ({
        type: 'CreateDataAttribute',
        data,
        now,
      }),
    );
    const [created] = events;
    const attribute = created ? state.attributes.get(created.data.id) : undefined;
    if (!attribute) throw new Error('CreateDataAttribute recorded no attribute');
    return presentCustomAttribute(attribute);
  }
}
