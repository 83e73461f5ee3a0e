import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newContactId } from '../../../contacts/contact-id';
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
import { CreateSegmentCommand } from './create-segment.command';

/** Segment ids follow the contact id scheme: 24 hex characters, time-ordered. */
@CommandHandler(CreateSegmentCommand)
export class CreateSegmentHandler implements ICommandHandler<CreateSegmentCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly attributes: CustomAttributesPolicy,
    private readonly timeZones: WorkspaceTimeZones,
    private readonly ruleWrites: RuleAttributesSequencer,
  ) {}

  execute(command: CreateSegmentCommand): Promise<SegmentWriteResult> {
    return this.ruleWrites.run(command.workspaceId, () => this.create(command));
  }

  private async create(command: CreateSegmentCommand): Promise<SegmentWriteResult> {
    const { workspaceId } = command;
    const segmentId = newContactId(this.clock.now());
    const customAttributeType = await this.attributes.ruleTypes(workspaceId);
    const outcome = await handleSegmentCommand(
      this.store,
      this.clock,
      workspaceId,
      segmentId,
      (now) => ({
        type: 'CreateSegment',
        data: {
          segmentId,
          workspaceId,
          name: command.name,
          personType: command.personType,
          rule: command.rule,
          customAttributeType,
          timeZone: this.timeZones.of(workspaceId),
        },
        now,
      }),
    );
    return { segmentId, position: outcome.position };
  }
}
