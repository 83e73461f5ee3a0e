import { Controller, Get, Param, Query, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { CONTACT_READ_MODELS } from '../../../projections/read-models';
import { ReadYourWrites } from '../../projection-runner/projection-runner.module';
import { DecimalInteger } from '../../shared/decimal-integer';
import { MinPosition } from '../../shared/http/intercom-version';
import { WorkspaceId } from '../../workspaces/workspace-auth.guard';
import { ContactReadModel } from '../queries/contact-read-model';
import { DEFAULT_PER_PAGE } from '../search/contact-search.parse';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { HttpProblem } from '../../shared/http/intercom-error';
import { ContactNotFound } from '../domain/contact.errors';
import type { MergeHistoryItem } from '../domain/contact.state';
import { ContactErrorsFilter } from './contact-errors.filter';
import { mergeHistoryOf, toMergeHistoryItem } from './contact.response';
import { PerPageQuery } from './page-query';
import { DocumentedResponse } from '../../shared/http/documented-route-schema';
import {
  CONTACT_COMPANIES_SCHEMA,
  CONTACT_NOTES_SCHEMA,
  CONTACT_TAGS_SCHEMA,
  MERGE_HISTORY_LIST_SCHEMA,
} from './contact.response-schema';

/** The query of Intercom's page-numbered lists (a contact's companies and notes). */
class NumberedPageQuery extends PerPageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 1 })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  readonly page?: number;
}

/** No query parameters: one given is refused by name rather than ignored. */
class NoQuery {}

/** `GET /contacts/{id}/merge_history` (2.16): oldest or newest first, paged by cursor. */
class MergeHistoryQuery extends PerPageQuery {
  @ApiPropertyOptional({ description: 'The next_cursor of the page before' })
  @IsOptional()
  @IsString()
  readonly cursor?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  readonly order?: 'asc' | 'desc';
}

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
  @DocumentedResponse(CONTACT_TAGS_SCHEMA)
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
  @DocumentedResponse(CONTACT_COMPANIES_SCHEMA)
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
  @DocumentedResponse(CONTACT_NOTES_SCHEMA)
  async notes(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: NumberedPageQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.existing(workspaceId, id, minPosition);
    return { type: 'list' as const, data: [], total_count: 0, pages: emptyPages(query) };
  }

  @Get(':id/merge_history')
  @ApiOperation({ summary: 'The contacts merged into a user, by merge time (API 2.16)' })
  @DocumentedResponse(MERGE_HISTORY_LIST_SCHEMA)
  async mergeHistory(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: MergeHistoryQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    const row = await this.existing(workspaceId, id, minPosition);
    // Only users absorb contacts: a lead has no merge history to list (404, as Intercom answers).
    if (row.role !== 'user') throw new ContactNotFound(id);
    const order = query.order ?? 'desc';
    const merges = mergeHistoryOf(row)
      .map((item, absorbed) => ({ item, absorbed }))
      .sort((a, b) => a.item.merged_at - b.item.merged_at || a.absorbed - b.absorbed)
      .map(({ item }) => item);
    if (order === 'desc') merges.reverse();
    const start = query.cursor === undefined ? 0 : afterCursor(merges, query.cursor, order);
    const page = merges.slice(start, start + (query.per_page ?? DEFAULT_PER_PAGE));
    const hasMore = start + page.length < merges.length;
    return {
      type: 'list' as const,
      data: page.map(toMergeHistoryItem),
      ...(hasMore ? { next_cursor: cursorAfter(page[page.length - 1]!, order) } : {}),
      has_more: hasMore,
    };
  }

  private async existing(
    workspaceId: string,
    id: string,
    minPosition: bigint | undefined,
  ): Promise<ContactsTable> {
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    return this.contacts.getContactOrThrow(workspaceId, id);
  }
}

/** A merge history cursor: the order it pages in and the last contact it gave. */
const cursorAfter = (item: MergeHistoryItem, order: 'asc' | 'desc'): string =>
  Buffer.from(`${order}.${item.source_contact_id}`).toString('base64url');

/** Where the page after `cursor` starts; a cursor of another list or order is refused. */
function afterCursor(
  merges: readonly MergeHistoryItem[],
  cursor: string,
  order: 'asc' | 'desc',
): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const [cursorOrder, contactId] = text.split('.');
  const index = merges.findIndex((item) => item.source_contact_id === contactId);
  if (Buffer.from(text).toString('base64url') !== cursor || cursorOrder !== order || index === -1) {
    throw HttpProblem.of(400, 'parameter_invalid', 'cursor is not a cursor of this list', 'cursor');
  }
  return index + 1;
}

/** The only page: without `next`, as every last page of the API. */
const emptyPages = (query: NumberedPageQuery) => ({
  type: 'pages' as const,
  page: query.page ?? 1,
  per_page: query.per_page ?? DEFAULT_PER_PAGE,
  total_pages: 0,
});
