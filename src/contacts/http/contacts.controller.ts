import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { CONTACT_READ_MODELS } from '../../../projections/read-models';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import {
  DocumentedResponse,
  DocumentedRouteSchema,
} from '../../shared/http/documented-route-schema';
import { SEARCH_REQUEST_SCHEMA } from '../search/contact-search.request-schema';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ContactAsOf } from '../queries/contact-as-of';
import { ContactTimeline } from '../queries/contact-timeline';
import { PageQuery } from './page-query';
import { CLOCK, type Clock } from '../../shared/clock';
import { asOfInstant } from '../../shared/http/as-of';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { liveRow } from '../../../projections/contacts/contacts.projection';
import { SEGMENT_MEMBERSHIP_PROJECTION } from '../../../projections/segment-membership/segment-membership.projection';
import { segmentMembershipSql } from '../../../projections/segment-membership/segment-membership.sql';
import type { SegmentMembershipReadModel } from '../../../projections/segment-membership/segment-membership.tables';
import { ReadYourWrites } from '../../projection-runner/projection-runner.module';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import {
  IntercomVersion,
  MinPosition,
  MinPositionHeader,
  minPositionOf,
  RequestedVersion,
  refuseUnknownVersion,
  requestedVersionOf,
} from '../../shared/http/intercom-version';
import { serveDirectly } from '../../shared/http/direct-route';
import {
  refuseUnknownQueryParameters,
  TakesQueryParameters,
} from '../../shared/http/query-parameters';
import { replyWithError } from '../../shared/http/intercom-exception.filter';
import { WriteRoute } from '../../shared/http/route-config';
import { NoFieldsBody, TakesNoBody } from '../../shared/http/no-fields-body';
import { AccessTokens } from '../../workspaces/access-tokens';
import { authenticate, WorkspaceId } from '../../workspaces/workspace-auth.guard';
import { WorkspaceTimeZones } from '../../workspaces/workspace-time-zones';
import { ArchiveContactCommand } from '../commands/archive-contact/archive-contact.command';
import { BlockContactCommand } from '../commands/block-contact/block-contact.command';
import { CreateContactCommand } from '../commands/create-contact/create-contact.command';
import { DeleteContactCommand } from '../commands/delete-contact/delete-contact.command';
import { MergeContactsCommand } from '../commands/merge-contacts/merge-contacts.command';
import { MergeRefusedTargetDeleted } from '../commands/merge-contacts/merge-refused';
import { UpdateContactCommand } from '../commands/update-contact/update-contact.command';
import { CUSTOM_ATTRIBUTES_POLICY, type CustomAttributesPolicy } from '../custom-attributes-policy';
import { InvalidMerge } from '../domain/contact.errors';
import type { LiveContact } from '../domain/contact.state';
import { READ_STORE } from '../../infrastructure/read-store/read-store.module';
import type { ReadStore } from '../../infrastructure/read-store/read-store';
import { ContactReadModel } from '../queries/contact-read-model';
import { DEFAULT_PER_PAGE, parseContactSearchRequest } from '../search/contact-search.parse';
import { searchContacts, searchListResponse } from '../search/search-contacts';
import { pagedByQueryParameters } from '../search/contact-search.errors';
import { ContactErrorsFilter, contactProblemOf } from './contact-errors.filter';
import { toContactResponse } from './contact.response';
import {
  CONTACT_ARCHIVED_SCHEMA,
  CONTACT_BLOCKED_SCHEMA,
  CONTACT_DELETED_SCHEMA,
  CONTACT_LIST_ROUTE_SCHEMA,
  CONTACT_ROUTE_SCHEMA,
  CONTACT_TIMELINE_SCHEMA,
} from './contact.response-schema';
import {
  IncludeMergeHistory,
  includeMergeHistoryOf,
  IncludeMergeHistoryQuery,
} from './include-merge-history';
import {
  attributeChangesOf,
  CreateContactDto,
  ListContactsQueryDto,
  MergeContactsDto,
  UpdateContactDto,
} from './contact.dto';
import { RequestCause } from '../../shared/http/request-context';
import type { EventCause } from '../../shared/event-store/event-store.port';

type RetrieveRequest = FastifyRequest<{
  Params: { id: string };
  Querystring: { include_merge_history?: string | string[]; as_of?: string | string[] };
}>;

/** `GET /contacts/{id}`'s query parameters (see `answerRetrieve`, which checks them itself). */
const RETRIEVE_QUERY_PARAMETERS: ReadonlySet<string> = new Set(['include_merge_history', 'as_of']);

/** What Fastify names a serialized JSON answer; a JSON text sent as it is says the same. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Projections a contact response reads. */
@ApiTags('Contacts')
@ApiBearerAuth()
@UseFilters(ContactErrorsFilter)
@Controller('contacts')
export class ContactsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly contacts: ContactReadModel,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly customAttributes: CustomAttributesPolicy,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    private readonly timeZones: WorkspaceTimeZones,
    private readonly tokens: AccessTokens,
    private readonly asOf: ContactAsOf,
    private readonly timelines: ContactTimeline,
    @Inject(CLOCK) private readonly clock: Clock,
    adapterHost: HttpAdapterHost,
  ) {
    serveDirectly(adapterHost, 'GET', '/contacts/:id', (request, reply) =>
      this.answerRetrieve(request as RetrieveRequest, reply),
    );
  }

  @Post()
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a contact (user by default, or lead)' })
  @DocumentedRouteSchema(CONTACT_ROUTE_SCHEMA)
  async create(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: CreateContactDto,
    @RequestedVersion() version: IntercomVersion,
  ) {
    const { contactId, position, contact } = await this.commands.execute(
      new CreateContactCommand(workspaceId, body.role, attributeChangesOf(body), cause),
    );
    // A contact just created has merged nothing: there is no merge history to include.
    return this.respondWith(
      workspaceId,
      contactId,
      position,
      { version, includeMergeHistory: false },
      contact,
    );
  }

  @Post('search')
  @HttpCode(200)
  @ApiOperation({ summary: 'Search contacts with the query language' })
  @IncludeMergeHistoryQuery()
  @ApiBody({ schema: SEARCH_REQUEST_SCHEMA })
  @DocumentedRouteSchema(CONTACT_LIST_ROUTE_SCHEMA)
  async search(
    @WorkspaceId() workspaceId: string,
    @Body() body: unknown,
    @RequestedVersion() version: IntercomVersion,
    @MinPosition() minPosition: bigint | undefined,
    @IncludeMergeHistory() includeMergeHistory: boolean,
  ) {
    // No body is an empty search request: refused for the query it lacks, by name.
    const given = body ?? {};
    // The definitions type `custom_attributes.*` fields; a request naming none needs no read of them.
    const request = parseContactSearchRequest(given, {
      customAttributeType: JSON.stringify(given).includes('custom_attributes.')
        ? await this.customAttributes.searchTypes(workspaceId)
        : () => undefined,
    });
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    const segmentMembership = segmentMembershipSql(
      this.runner.tables<SegmentMembershipReadModel>(SEGMENT_MEMBERSHIP_PROJECTION)(
        'segment_membership_contact_segments',
      ),
    );
    const page = await searchContacts(
      this.searchTarget(),
      { workspaceId, timeZone: this.timeZones.of(workspaceId), segmentMembership },
      request,
    );
    return searchListResponse(page, (row) =>
      toContactResponse(row, version, { includeMergeHistory }),
    );
  }

  @Post('merge')
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'Merge a lead into a user; answers the user' })
  @IncludeMergeHistoryQuery()
  @DocumentedRouteSchema(CONTACT_ROUTE_SCHEMA)
  async merge(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: MergeContactsDto,
    @RequestedVersion() version: IntercomVersion,
    @IncludeMergeHistory() includeMergeHistory: boolean,
  ) {
    const { contactId, position, contact } = await this.commands
      .execute(
        new MergeContactsCommand(workspaceId, body.from, body.into, {
          duplicatesOnly: version.atLeast(2, 16) && body.skip_duplicate_validation !== true,
          cause,
        }),
      )
      .catch(async (error: unknown) => {
        // Refused once the source was closed and reopened: answered when reads show it open.
        if (error instanceof MergeRefusedTargetDeleted)
          await this.readYourWrites.waitFor(error.position, CONTACT_READ_MODELS);
        if (error instanceof InvalidMerge && error.field === undefined)
          throw new InvalidMerge(
            error.reason,
            error.side,
            error.side === 'source' ? 'from' : 'into',
          );
        throw error;
      });
    return this.respondWith(
      workspaceId,
      contactId,
      position,
      { version, includeMergeHistory },
      contact,
    );
  }

  @Get()
  @ApiOperation({ summary: 'List leads and users, newest first, with cursor pagination' })
  @DocumentedRouteSchema(CONTACT_LIST_ROUTE_SCHEMA)
  async list(
    @WorkspaceId() workspaceId: string,
    @Query() query: ListContactsQueryDto,
    @RequestedVersion() version: IntercomVersion,
    @MinPosition() minPosition: bigint | undefined,
    @IncludeMergeHistory() includeMergeHistory: boolean,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    // The parameters are read as a search body's pagination: its refusals are renamed too.
    const page = await pagedByQueryParameters(() => {
      const request = parseContactSearchRequest(
        {
          // Every lead and user: the searchable set itself, in the default order.
          query: { field: 'role', operator: 'IN', value: ['lead', 'user'] },
          pagination: {
            ...(query.per_page !== undefined ? { per_page: query.per_page } : {}),
            ...(query.starting_after !== undefined ? { starting_after: query.starting_after } : {}),
          },
        },
        { customAttributeType: () => undefined },
      );
      return searchContacts(
        this.searchTarget(),
        { workspaceId, timeZone: this.timeZones.of(workspaceId) },
        { ...request, pagination: { ...request.pagination, page: query.page } },
      );
    });
    return searchListResponse(page, (row) =>
      toContactResponse(row, version, { includeMergeHistory }),
    );
  }

  @Get('find_by_external_id/:external_id')
  @ApiOperation({ summary: 'Find a user by external_id' })
  @IncludeMergeHistoryQuery()
  @DocumentedRouteSchema(CONTACT_ROUTE_SCHEMA)
  async findByExternalId(
    @WorkspaceId() workspaceId: string,
    @Param('external_id') externalId: string,
    @RequestedVersion() version: IntercomVersion,
    @MinPosition() minPosition: bigint | undefined,
    @IncludeMergeHistory() includeMergeHistory: boolean,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    const row = await this.contacts.getUserByExternalIdOrThrow(workspaceId, externalId);
    return toContactResponse(row, version, { includeMergeHistory });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a contact' })
  @MinPositionHeader()
  @DocumentedRouteSchema(CONTACT_ROUTE_SCHEMA)
  @ApiParam({ name: 'id', type: String })
  @IncludeMergeHistoryQuery()
  @TakesQueryParameters('as_of')
  @ApiQuery({
    name: 'as_of',
    required: false,
    schema: { type: 'integer', minimum: 0 },
    description: 'Unix seconds: the contact as it was then, from its events',
  })
  async retrieve(@WorkspaceId() workspaceId: string, @Req() request: RetrieveRequest) {
    await this.waitForMinPosition(request);
    return this.readContact(workspaceId, request);
  }

  /**
   * `GET /contacts/{id}` as Fastify serves it (`serveDirectly`): the API's hottest route skips
   * Nest's pipeline, so it authenticates and answers its errors itself, as the guard and the
   * exception filters do for `retrieve`. On SQLite the contact comes as its JSON text
   * (`sqliteContactResponseJson`), sent as it is.
   */
  private async answerRetrieve(request: RetrieveRequest, reply: FastifyReply): Promise<void> {
    const version = requestedVersionOf(request);
    let contact;
    try {
      const workspaceId = authenticate(this.tokens, request);
      refuseUnknownVersion(request);
      refuseUnknownQueryParameters(request.query, RETRIEVE_QUERY_PARAMETERS);
      await this.waitForMinPosition(request);
      // The JSON the read store builds is the current contact with no merge history.
      contact =
        includeMergeHistoryOf(request) || request.query.as_of !== undefined
          ? undefined
          : await this.contacts.getContactJsonOrThrow(
              workspaceId,
              request.params.id,
              !version.atLeast(2, 16),
            );
      if (contact !== undefined) reply.type(JSON_CONTENT_TYPE);
      else contact = await this.readContact(workspaceId, request);
    } catch (error) {
      replyWithError(contactProblemOf(error, version), request, reply);
      return;
    }
    void reply.send(contact);
  }

  private async readContact(workspaceId: string, request: RetrieveRequest) {
    // The query is checked before the contact is looked for, as `answerRetrieve` checks it.
    const includeMergeHistory = includeMergeHistoryOf(request);
    const at = asOfInstant(request.query.as_of, Math.floor(this.clock.now() / 1000));
    const row =
      at === undefined
        ? await this.contacts.getContactOrThrow(workspaceId, request.params.id)
        : await this.asOf.rowOrThrow(workspaceId, request.params.id, at);
    return toContactResponse(row, requestedVersionOf(request), { includeMergeHistory });
  }

  private async waitForMinPosition(request: FastifyRequest): Promise<void> {
    // Inputs come from the request: a decorated parameter is a pass through the pipe chain.
    const minPosition = minPositionOf(request);
    if (minPosition !== undefined)
      await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
  }

  @Get(':id/timeline')
  @ApiOperation({
    summary: "The contact's events and those of contacts merged into it, by event time (ours)",
  })
  @DocumentedResponse(CONTACT_TIMELINE_SCHEMA)
  @ApiParam({ name: 'id', type: String })
  async timeline(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: PageQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    // The events are read from the log; whether the contact exists, from the read model.
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    // Readable as the contact is: a merged id answers merged, a deleted one is gone.
    await this.contacts.getContactOrThrow(workspaceId, id);
    const perPage = query.per_page ?? DEFAULT_PER_PAGE;
    const page = await this.timelines.page(workspaceId, id, {
      perPage,
      ...(query.starting_after !== undefined ? { startingAfter: query.starting_after } : {}),
    });
    return {
      type: 'list' as const,
      data: page.entries,
      total_count: page.totalCount,
      pages: {
        type: 'pages' as const,
        page: page.page,
        per_page: perPage,
        total_pages: page.totalPages,
        ...(page.next !== undefined
          ? { next: { page: page.page + 1, starting_after: page.next } }
          : {}),
      },
    };
  }

  @Put(':id')
  @WriteRoute()
  @ApiOperation({ summary: 'Update a contact (role lead → user allowed)' })
  @IncludeMergeHistoryQuery()
  @DocumentedRouteSchema(CONTACT_ROUTE_SCHEMA)
  async update(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Param('id') id: string,
    @Body() body: UpdateContactDto,
    @RequestedVersion() version: IntercomVersion,
    @IncludeMergeHistory() includeMergeHistory: boolean,
  ) {
    const { position, contact } = await this.commands.execute(
      new UpdateContactCommand(
        workspaceId,
        id,
        body.role,
        attributeChangesOf(body),
        cause,
        'leads_and_users',
      ),
    );
    return this.respondWith(workspaceId, id, position, { version, includeMergeHistory }, contact);
  }

  @Delete(':id')
  @WriteRoute()
  @TakesNoBody()
  @ApiOperation({ summary: "Delete a contact (a visitor too: its data is erased as a lead's)" })
  @DocumentedResponse(CONTACT_DELETED_SCHEMA)
  async remove(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Param('id') id: string,
    @Body() _body: NoFieldsBody,
  ) {
    const { position, externalId } = await this.commands.execute(
      new DeleteContactCommand(workspaceId, id, cause),
    );
    await this.readYourWrites.waitFor(position, CONTACT_READ_MODELS);
    return { type: 'contact' as const, id, external_id: externalId, deleted: true };
  }

  @Post(':id/archive')
  @WriteRoute()
  @HttpCode(200)
  @TakesNoBody()
  @ApiOperation({ summary: 'Archive a contact' })
  @DocumentedResponse(CONTACT_ARCHIVED_SCHEMA)
  archive(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Param('id') id: string,
    @Body() _body: NoFieldsBody,
  ) {
    return this.setArchived(workspaceId, id, true, cause);
  }

  @Post(':id/unarchive')
  @WriteRoute()
  @HttpCode(200)
  @TakesNoBody()
  @ApiOperation({ summary: 'Unarchive a contact' })
  @DocumentedResponse(CONTACT_ARCHIVED_SCHEMA)
  unarchive(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Param('id') id: string,
    @Body() _body: NoFieldsBody,
  ) {
    return this.setArchived(workspaceId, id, false, cause);
  }

  /** Intercom's `contact_blocked`; the contact starts no conversation and replies to nothing after. */
  @Post(':id/block')
  @WriteRoute()
  @HttpCode(200)
  @TakesNoBody()
  @ApiOperation({ summary: 'Block a contact' })
  @DocumentedResponse(CONTACT_BLOCKED_SCHEMA)
  async block(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Param('id') id: string,
    @Body() _body: NoFieldsBody,
  ) {
    const row = await this.rowAfter(workspaceId, new BlockContactCommand(workspaceId, id, cause));
    return { ...referenceTo(row), blocked: true };
  }

  private async setArchived(workspaceId: string, id: string, archived: boolean, cause: EventCause) {
    const row = await this.rowAfter(
      workspaceId,
      new ArchiveContactCommand(workspaceId, id, archived, cause),
    );
    return { ...referenceTo(row), archived: row.archived === 1 };
  }

  /** The contact's row once the read models show the write (read-your-writes). */
  private async rowAfter(
    workspaceId: string,
    command: ArchiveContactCommand | BlockContactCommand,
  ): Promise<ContactsTable> {
    const { position } = await this.commands.execute(command);
    await this.readYourWrites.waitFor(position, CONTACT_READ_MODELS);
    return this.contacts.getContactOrThrow(workspaceId, command.contactId);
  }

  /**
   * Answers after the read models have passed the write (read-your-writes: an immediate GET or
   * search sees it). A write that reports the contact it left answers from it: the contacts
   * projection's row for that state is `liveRow` of it, so reading the row back would return the
   * same fields (the revision column is not part of the response).
   */
  private async respondWith(
    workspaceId: string,
    contactId: string,
    position: bigint | undefined,
    response: { readonly version: IntercomVersion; readonly includeMergeHistory: boolean },
    contact?: LiveContact,
  ) {
    await this.readYourWrites.waitFor(position, CONTACT_READ_MODELS);
    const { version, includeMergeHistory } = response;
    if (contact !== undefined && contact.status !== 'visitor') {
      return toContactResponse(liveRow(contact, 0), version, { includeMergeHistory });
    }
    return toContactResponse(
      await this.contacts.getContactOrThrow(workspaceId, contactId),
      version,
      { includeMergeHistory },
    );
  }

  private searchTarget() {
    return {
      db: this.readStore.queryDb,
      dialect: this.readStore.dialect,
      table: this.runner.tables<{ contacts: unknown }>('contacts')('contacts'),
    };
  }
}

/** Intercom's `contact_reference`: what the archive, unarchive and block answers build on. */
const referenceTo = (row: ContactsTable) => ({
  type: 'contact' as const,
  id: row.id,
  external_id: row.external_id,
});
