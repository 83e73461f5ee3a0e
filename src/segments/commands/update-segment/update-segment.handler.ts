import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  CUSTOM_ATTRIBUTES_POLICY,
  type CustomAttributesPolicy,
} from '../../../contacts/custom-attributes-policy';
import { CLOCK, type Clock } from '../../../shared/clock';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { RuleAttributesSequencer } from '../../../data-attributes/rule-attributes-sequencer';
import { WorkspaceTimeZones } from '../../../workspaces/workspace-time-zones';
import type { CustomAttributeTypeLookup } from '../../../contacts/search/contact-search.fields';
import { handleSegmentCommand } from '../../segment.command-handling';
import type { SegmentWriteResult } from '../segment-write-result';
import { UpdateSegmentCommand } from './update-segment.command';

@CommandHandler(UpdateSegmentCommand)
export class UpdateSegmentHandler implements ICommandHandler<UpdateSegmentCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly attributes: CustomAttributesPolicy,
    private readonly timeZones: WorkspaceTimeZones,
    private readonly ruleWrites: RuleAttributesSequencer,
  ) {}

  async execute({
    workspaceId,
    segmentId,
    changes,
  }: UpdateSegmentCommand): Promise<SegmentWriteResult> {
    const timeZone = this.timeZones.of(workspaceId);
    const update = (customAttributeType: CustomAttributeTypeLookup) =>
      handleSegmentCommand(this.store, this.clock, workspaceId, segmentId, (now) => ({
        type: 'UpdateSegment',
        data: {
          segmentId,
          workspaceId,
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.rule !== undefined ? { rule: changes.rule } : {}),
          ...(changes.personType !== undefined ? { personType: changes.personType } : {}),
          customAttributeType,
          timeZone,
        },
        now,
      }));
    const { position } =
      changes.rule !== undefined || changes.personType !== undefined
        ? await this.ruleWrites.run(workspaceId, async () =>
            update(await this.attributes.ruleTypes(workspaceId)),
          )
        : await update(() => undefined);
    return { segmentId, position };
  }
}
