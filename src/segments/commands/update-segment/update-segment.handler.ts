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
    const ref = { segmentId, workspaceId };
    const timeZone = this.timeZones.of(workspaceId);
    let position: bigint | undefined;
    if (changes.rule !== undefined || changes.personType !== undefined) {
      const outcome = await this.ruleWrites.run(workspaceId, async () => {
        const customAttributeType = await this.attributes.ruleTypes(workspaceId);
        return handleSegmentCommand(this.store, this.clock, workspaceId, segmentId, (now) => ({
          type: 'ChangeSegmentRule',
          data: {
            ...ref,
            ...(changes.rule !== undefined ? { rule: changes.rule } : {}),
            ...(changes.personType !== undefined ? { personType: changes.personType } : {}),
            customAttributeType,
            timeZone,
          },
          now,
        }));
      });
      position = outcome.position ?? position;
    }
    if (changes.name !== undefined || position === undefined) {
      // Also run without a name: an update that names nothing still answers 404 for an unknown id.
      const outcome = await handleSegmentCommand(
        this.store,
        this.clock,
        workspaceId,
        segmentId,
        (now) =>
          changes.name === undefined
            ? {
                type: 'ChangeSegmentRule',
                data: { ...ref, customAttributeType: () => undefined, timeZone },
                now,
              }
            : { type: 'RenameSegment', data: { ...ref, name: changes.name }, now },
      );
      position = outcome.position ?? position;
    }
    return { segmentId, position };
  }
}
