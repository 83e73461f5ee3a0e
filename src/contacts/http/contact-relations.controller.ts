import { Controller, Get, Param, Query, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Min } from 'class-validator';
import { CONTACT_READ_MODELS } from '../../../projections/read-models';
import { ReadYourWrites } from '../../projection-runner/projection-runner.module';
import { DecimalInteger } from '../../shared/decimal-integer';
import { MinPosition } from '../../shared/http/intercom-version';
import { WorkspaceId } from '../../workspaces/workspace-auth.guard';
import { ContactReadModel } from '../queries/contact-read-model';
import { DEFAULT_PER_PAGE } from '../search/contact-search.parse';
import { ContactErrorsFilter } from './contact-errors.filter';
import { PerPageQuery } from './page-query';

/** The query of Intercom's page-numbered lists (a contact's companies and notes). */
class NumberedPageQuery extends PerPageQuery {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  readonly page?: number;
}

/** No query parameters: one given is refused by name rather than ignored. */
class NoQuery {}

/**
 * What the contact object links to and this service keeps none of (tags, companies, notes,
 * subscriptions): each answers its Intercom list, empty, for a contact that exists, so that the
 * SDK's methods for them work; an unknown, merged or deleted contact is refused as everywhere.
 */
@ApiTags('Contacts')
@ApiBearerAuth()
@UseFilters(ContactErrorsFilter)
@Controller('contacts')
export class ContactRelationsController {
  constructor(
    private readonly contacts: ContactReadModel,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  @Get([':id/tags', ':id/subscriptions'])
  @ApiOperation({
    summary: "List a contact's tags, or its subscription types (none are kept: always empty)",
  })
  async tagsOrSubscriptions(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() _query: NoQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.existing(workspaceId, id, minPosition);
    return { type: 'list' as const, data: [] };
  }

  @Get(':id/companies')
  @ApiOperation({ summary: "List a contact's companies (none are kept: always empty)" })
  async companies(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: NumberedPageQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.existing(workspaceId, id, minPosition);
    return { type: 'list' as const, companies: [], total_count: 0, pages: emptyPages(query) };
  }

  @Get(':id/notes')
  @ApiOperation({ summary: "List a contact's notes (none are kept: always empty)" })
  async notes(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: NumberedPageQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.existing(workspaceId, id, minPosition);
    return { type: 'list' as const, data: [], total_count: 0, pages: emptyPages(query) };
  }

  private async existing(
    workspaceId: string,
    id: string,
    minPosition: bigint | undefined,
  ): Promise<void> {
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    await this.contacts.getContactOrThrow(workspaceId, id);
  }
}

/** The only page: without `next`, as every last page of the API. */
const emptyPages = (query: NumberedPageQuery) => ({
  type: 'pages' as const,
  page: query.page ?? 1,
  per_page: query.per_page ?? DEFAULT_PER_PAGE,
  total_pages: 0,
});
