import { Module } from '@nestjs/common';
import { ContactsModule } from '../contacts/contacts.module';
import { DataAttributesModule } from '../data-attributes/data-attributes.module';
import { CreateSegmentHandler } from './commands/create-segment/create-segment.handler';
import { DeleteSegmentHandler } from './commands/delete-segment/delete-segment.handler';
import { UpdateSegmentHandler } from './commands/update-segment/update-segment.handler';
import { ContactSegmentsController } from './http/contact-segments.controller';
import { SegmentsController } from './http/segments.controller';
import { AttributeDependantsHandler } from './queries/attribute-dependants.handler';
import { SegmentWhatIf } from './queries/segment-what-if';
import { SegmentReadModel } from './queries/segment-read-model';
import { SegmentDeadlineScheduler } from './segment-deadline-scheduler';

const commandHandlers = [CreateSegmentHandler, UpdateSegmentHandler, DeleteSegmentHandler];
const services = [SegmentReadModel, SegmentWhatIf, SegmentDeadlineScheduler];

/**
 * Segments: definitions as events, the Intercom segment endpoints and ours, and the scheduler
 * that fires time-based membership changes. Membership itself is the `segment_membership`
 * projection.
 */
@Module({
  imports: [ContactsModule, DataAttributesModule],
  controllers: [SegmentsController, ContactSegmentsController],
  providers: [...commandHandlers, AttributeDependantsHandler, ...services],
  exports: [SegmentReadModel],
})
export class SegmentsModule {}
