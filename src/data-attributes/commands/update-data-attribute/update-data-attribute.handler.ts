import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { handleDataAttributeCommand } from '../../data-attribute.command-handling';
import { presentCustomAttribute, type DataAttributeResponse } from '../../data-attribute.response';
import { AttributeHasDependants, DataAttributeNotFound } from '../../domain/data-attribute.errors';
import { AttributeDependantsQuery } from '../../queries/attribute-dependants/attribute-dependants.query';
import { RuleAttributesSequencer } from '../../rule-attributes-sequencer';
import { UpdateDataAttributeCommand } from './update-data-attribute.command';

@CommandHandler(UpdateDataAttributeCommand)
export class UpdateDataAttributeHandler implements ICommandHandler<UpdateDataAttributeCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly queries: QueryBus,
    private readonly ruleWrites: RuleAttributesSequencer,
  ) {}

  execute({ data }: UpdateDataAttributeCommand): Promise<DataAttributeResponse> {
    // An archive checks the segments using the attribute: not while a segment rule is written.
    return data.archived === true
      ? this.ruleWrites.run(data.workspaceId, () => this.update(data))
      : this.update(data);
  }

  private async update(data: UpdateDataAttributeCommand['data']): Promise<DataAttributeResponse> {
    const { state } = await handleDataAttributeCommand(
      this.store,
      this.clock,
      data.workspaceId,
      (now) => ({
        type: 'UpdateDataAttribute',
        data,
        now,
      }),
      // On the definitions the archive is decided on: a segment reading the attribute refuses it.
      async (decidedOn) => {
        const archiving = decidedOn.attributes.get(data.id);
        if (data.archived !== true || archiving === undefined || archiving.archived)
          return undefined;
        const dependants = await this.queries.execute(
          new AttributeDependantsQuery(data.workspaceId, archiving.name),
        );
        if (dependants.length > 0) throw new AttributeHasDependants(archiving.name, dependants);
        return undefined;
      },
    );
    const attribute = state.attributes.get(data.id);
    if (!attribute) throw new DataAttributeNotFound(data.id);
    return presentCustomAttribute(attribute);
  }
}
