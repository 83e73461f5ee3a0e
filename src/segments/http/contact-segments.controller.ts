import { Controller, Get, Param, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CONTACT_READ_MODELS } from '../../../projections/read-models';
import { ContactReadModel } from '../../contacts/queries/contact-read-model';
import { ReadYourWrites } from '../../projection-runner/projection-runner.module';
import { MinPosition } from '../../shared/http/intercom-version';
import { WorkspaceId } from '../../workspaces/workspace-auth.guard';
import { SegmentReadModel } from '../queries/segment-read-model';
import { SegmentErrorsFilter } from './segment-errors.filter';
import { DocumentedResponse } from '../../shared/http/documented-route-schema';
import { CONTACT_SEGMENTS_SCHEMA } from './segment.response-schema';
import { toSegmentResponse } from './segment.response';

@ApiTags('Contacts', 'Segments')
@ApiBearerAuth()
@UseFilters(SegmentErrorsFilter)
@Controller('contacts')
export class ContactSegmentsController {
  constructor(
    private readonly contacts: ContactReadModel,
    private readonly segments: SegmentReadModel,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  @Get(':id/segments')
  @ApiOperation({ summary: 'List the segments a contact belongs to' })
  @DocumentedResponse(CONTACT_SEGMENTS_SCHEMA)
  async list(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    await this.contacts.getContactOrThrow(workspaceId, id);
    const rows = await this.segments.segmentsOfContact(workspaceId, id);
    return { type: 'list' as const, data: rows.map((row) => toSegmentResponse(row)) };
  }
}
