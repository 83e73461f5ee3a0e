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
  UseFilters,
} from '@nestjs/common';
import { WorkspaceTimeZones } from '../../workspaces/workspace-time-zones';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CONTACT_READ_MODELS } from '../../../projections/read-models';
import { SEGMENT_MEMBERSHIP_PROJECTION } from '../../../projections/segment-membership/segment-membership.projection';
import { CONTACT_ID_PATTERN } from '../../contacts/contact-id';
import {
  CUSTOM_ATTRIBUTES_POLICY,
  type CustomAttributesPolicy,
} from '../../contacts/custom-attributes-policy';
import { toContactResponse } from '../../contacts/http/contact.response';
import { ContactAsOf } from '../../contacts/queries/contact-as-of';
import {
  DEFAULT_PER_PAGE,
  parseContactSearchRequest,
  parseSearchQuery,
} from '../../contacts/search/contact-search.parse';
import type { ContactSearchRequest, SearchNode } from '../../contacts/search/contact-search.query';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import type { SegmentMembershipSql } from '../../contacts/search/contact-search.sql';
import { searchContacts, searchListResponse } from '../../contacts/search/search-contacts';
import { pagedByQueryParameters } from '../../contacts/search/contact-search.errors';
import { READ_STORE } from '../../infrastructure/read-store/read-store.module';
import type { ReadStore } from '../../infrastructure/read-store/read-store';
import { ReadYourWrites } from '../../projection-runner/projection-runner.module';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { CLOCK, type Clock } from '../../shared/clock';
import { HttpProblem } from '../../shared/http/intercom-error';
import { fitsIntegerColumn } from '../../shared/integer-column';
import { isStorableText } from '../../shared/storable-text';
import { asOfInstant, pastInstant } from '../../shared/http/as-of';
import { IntercomVersion, MinPosition, RequestedVersion } from '../../shared/http/intercom-version';
import { WriteRoute } from '../../shared/http/route-config';
import { NoFieldsBody, TakesNoBody } from '../../shared/http/no-fields-body';
import { totalPagesOf } from '../../shared/http/total-pages';
import { WorkspaceId } from '../../workspaces/workspace-auth.guard';
import { CreateSegmentCommand } from '../commands/create-segment/create-segment.command';
import { DeleteSegmentCommand } from '../commands/delete-segment/delete-segment.command';
import { UpdateSegmentCommand } from '../commands/update-segment/update-segment.command';
import { personTypeOfNewRule } from '../domain/segment.decide';
import { SegmentNotFound } from '../domain/segment.errors';
import { rolesOf, snapshotOf, type SegmentRuleSnapshot } from '../domain/segment-membership';
import { parseStoredRule, validateSegmentRule } from '../domain/segment.rule';
import { SegmentWhatIf } from '../queries/segment-what-if';
import { SegmentReadModel, type HistoryCursor } from '../queries/segment-read-model';
import { SegmentErrorsFilter } from './segment-errors.filter';
import { DocumentedResponse } from '../../shared/http/documented-route-schema';
import {
  SEGMENT_CONTACTS_SCHEMA,
  SEGMENT_DEFINITION_SCHEMA,
  SEGMENT_DELETED_SCHEMA,
  SEGMENT_HISTORY_SCHEMA,
  SEGMENT_PREVIEW_HISTORY_SCHEMA,
  SEGMENT_LIST_SCHEMA,
} from './segment.response-schema';
import {
  CreateSegmentRequest,
  ListSegmentsQuery,
  PreviewSegmentHistoryRequest,
  PreviewSegmentRequest,
  SegmentContactsQuery,
  SegmentHistoryQuery,
  UpdateSegmentRequest,
} from './segment.requests';
import {
  toMembershipChange,
  toSegmentDefinitionResponse,
  toSegmentResponse,
  toWhatIfChange,
} from './segment.response';

const SEGMENT_READ_MODELS = [SEGMENT_MEMBERSHIP_PROJECTION] as const;

@ApiTags('Segments')
@ApiBearerAuth()
@UseFilters(SegmentErrorsFilter)
@Controller('segments')
export class SegmentsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly segments: SegmentReadModel,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly attributes: CustomAttributesPolicy,
    private readonly timeZones: WorkspaceTimeZones,
    private readonly contactsAsOf: ContactAsOf,
    private readonly whatIf: SegmentWhatIf,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List all segments (with `include_count=true`, their member counts)' })
  @DocumentedResponse(SEGMENT_LIST_SCHEMA)
  async list(
    @WorkspaceId() workspaceId: string,
    @Query() query: ListSegmentsQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, SEGMENT_READ_MODELS);
    const includeCount = query.include_count === 'true';
    const rows = await this.segments.listSegments(workspaceId);
    return {
      type: 'segment.list' as const,
      segments: rows.map((row) => toSegmentResponse(row, { includeCount })),
    };
  }

  @Post()
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: 'Define a segment (our extension: Intercom does this in its UI)' })
  @DocumentedResponse(SEGMENT_DEFINITION_SCHEMA)
  async create(@WorkspaceId() workspaceId: string, @Body() body: CreateSegmentRequest) {
    if (body.rule === undefined)
      throw HttpProblem.of(400, 'parameter_not_found', "'rule' is required", 'rule');
    const { segmentId, position } = await this.commands.execute(
      new CreateSegmentCommand(workspaceId, body.name, body.person_type, body.rule),
    );
    return this.respondWith(workspaceId, segmentId, position);
  }

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Count and first page of the members an unsaved rule selects now, or selected at `as_of`',
  })
  @DocumentedResponse(SEGMENT_CONTACTS_SCHEMA)
  async preview(
    @WorkspaceId() workspaceId: string,
    @Body() body: PreviewSegmentRequest,
    @RequestedVersion() version: IntercomVersion,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    const now = Math.floor(this.clock.now() / 1000);
    const { snapshot, request } = await this.previewedRule(workspaceId, body);
    const asOf = pastInstant(bodyInstant(body.as_of), now, 'as_of');
    await this.readYourWrites.waitForMinPosition(minPosition, ['contacts']);
    const page =
      asOf !== undefined
        ? await this.whatIf.membersAt(workspaceId, snapshot, asOf, request)
        : await searchContacts(
            this.searchTarget(),
            {
              workspaceId,
              timeZone: snapshot.timeZone,
              now,
              segmentMembership: this.segments.membershipSql(),
              dataEvents: this.segments.dataEventsSql(),
            },
            request,
          );
    return {
      ...searchListResponse(page, (row) => toContactResponse(row, version)),
      type: 'segment.preview' as const,
    };
  }

  @Post('preview/history')
  @HttpCode(200)
  @ApiOperation({
    summary: 'The entries and exits an unsaved rule would have made over a past stretch',
  })
  @DocumentedResponse(SEGMENT_PREVIEW_HISTORY_SCHEMA)
  async previewHistory(
    @WorkspaceId() workspaceId: string,
    @Body() body: PreviewSegmentHistoryRequest,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    const now = Math.floor(this.clock.now() / 1000);
    const { snapshot, request } = await this.previewedRule(workspaceId, body);
    const stretch = {
      from: requiredInstant(body.from, now, 'from'),
      to: requiredInstant(body.to, now, 'to'),
    };
    if (stretch.to <= stretch.from)
      throw HttpProblem.of(400, 'parameter_invalid', 'to must be later than from', 'to');
    await this.readYourWrites.waitForMinPosition(minPosition, ['contacts']);
    const page = await this.whatIf.changesOver(workspaceId, snapshot, stretch, request);
    return {
      type: 'segment.preview_history' as const,
      data: page.changes.map(toWhatIfChange),
      total_count: page.total_count,
      pages: page.pages,
    };
  }

  /**
   * A previewed rule as a segment would hold it, refused as saving it would be, and the search
   * request that pages its answer.
   */
  private async previewedRule(
    workspaceId: string,
    body: {
      readonly rule?: unknown;
      readonly person_type?: unknown;
      readonly pagination?: unknown;
    },
  ): Promise<{ snapshot: SegmentRuleSnapshot; request: ContactSearchRequest }> {
    if (body.rule === undefined)
      throw HttpProblem.of(400, 'parameter_not_found', "'rule' is required", 'rule');
    const personType = personTypeOfNewRule(body.person_type);
    const timeZone = this.timeZones.of(workspaceId);
    const rule = parseStoredRule(
      validateSegmentRule(body.rule, await this.attributes.ruleTypes(workspaceId), timeZone),
    );
    const roles = parseSearchQuery(
      { field: 'role', operator: 'IN', value: [...rolesOf(personType)] },
      { customAttributeType: () => undefined },
    );
    const request = this.listRequest(body.pagination, {
      kind: 'group',
      operator: 'AND',
      value: [rule, roles],
    });
    return { snapshot: snapshotOf('preview', personType, rule, 0, timeZone), request };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Retrieve a segment',
    description:
      "Intercom's segment, with its member count, the rule it holds and that rule's version (ours), as its writes answer",
  })
  @DocumentedResponse(SEGMENT_DEFINITION_SCHEMA)
  async retrieve(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, SEGMENT_READ_MODELS);
    return toSegmentDefinitionResponse(await this.segments.getSegmentOrThrow(workspaceId, id));
  }

  @Put(':id')
  @WriteRoute()
  @ApiOperation({ summary: 'Rename a segment and/or change its rule (the rule version increases)' })
  @DocumentedResponse(SEGMENT_DEFINITION_SCHEMA)
  async update(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Body() body: UpdateSegmentRequest,
  ) {
    const segmentId = requireSegmentId(id);
    const { position } = await this.commands.execute(
      new UpdateSegmentCommand(workspaceId, segmentId, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.person_type !== undefined ? { personType: body.person_type } : {}),
        ...(body.rule !== undefined ? { rule: body.rule } : {}),
      }),
    );
    return this.respondWith(workspaceId, segmentId, position);
  }

  @Delete(':id')
  @WriteRoute()
  @TakesNoBody()
  @ApiOperation({ summary: 'Delete a segment: every member leaves it' })
  @DocumentedResponse(SEGMENT_DELETED_SCHEMA)
  async remove(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Body() _body: NoFieldsBody,
  ) {
    const segmentId = requireSegmentId(id);
    const { position } = await this.commands.execute(
      new DeleteSegmentCommand(workspaceId, segmentId),
    );
    await this.readYourWrites.waitFor(position, SEGMENT_READ_MODELS);
    return { type: 'segment' as const, id: segmentId, deleted: true };
  }

  @Get(':id/contacts')
  @ApiOperation({ summary: 'Members, cursor-paginated; `as_of` (unix seconds) for a past instant' })
  @DocumentedResponse(SEGMENT_CONTACTS_SCHEMA)
  async members(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: SegmentContactsQuery,
    @RequestedVersion() version: IntercomVersion,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    const asOf = asOfInstant(query.as_of, Math.floor(this.clock.now() / 1000));
    await this.readYourWrites.waitForMinPosition(minPosition, CONTACT_READ_MODELS);
    await this.segments.getSegmentOrThrow(workspaceId, id);
    const membership: SegmentMembershipSql =
      asOf === undefined ? this.segments.membershipSql() : this.segments.membershipAsOfSql(asOf);
    const page = await pagedByQueryParameters(() =>
      searchContacts(
        this.searchTarget(),
        {
          workspaceId,
          segmentMembership: membership,
          includeMerged: asOf !== undefined,
          ...(asOf !== undefined ? { listing: `as_of=${asOf}` } : {}),
        },
        this.listRequest(
          { per_page: query.per_page, starting_after: query.starting_after },
          undefined,
          { field: 'segment_id', operator: '=', value: id },
          query.page,
        ),
      ),
    );
    const shown =
      asOf === undefined
        ? page
        : { ...page, rows: await this.membersThen(workspaceId, page.rows, asOf) };
    return searchListResponse(shown, (row) => toContactResponse(row, version));
  }

  /**
   * A page of the members at `at` (the set from the membership history), each as
   * `GET /contacts/{id}?as_of` shows it: the same fold of its events, a read of its stream (and,
   * for a lead merged since, of its target's) per member, all at once for a page of at most
   * `MAX_PER_PAGE`. A member that was merged by its own events by then, which the membership
   * recorded as leaving later (a late merge, README), is shown as it was when merged, as the
   * leads merged since are. One with nothing to show is left out: deleted since the page was read
   * (no data of it is readable any more), or, by its own events, no lead or user yet then (which
   * the membership's clock, never behind event time, does not record).
   */
  private async membersThen(
    workspaceId: string,
    rows: readonly ContactsTable[],
    at: number,
  ): Promise<ContactsTable[]> {
    const members = await Promise.all(
      rows.map((row) => this.contactsAsOf.contactThen(workspaceId, row.id, at)),
    );
    return members.flatMap((then) =>
      then.status === 'live' ? [then.row] : then.status === 'merged' ? [then.closedAs] : [],
    );
  }

  @Get(':id/history')
  @ApiOperation({
    summary: 'Entries and exits with time, cause (event or deadline) and rule version',
  })
  @DocumentedResponse(SEGMENT_HISTORY_SCHEMA)
  async history(
    @WorkspaceId() workspaceId: string,
    @Param('id') id: string,
    @Query() query: SegmentHistoryQuery,
    @MinPosition() minPosition: bigint | undefined,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, SEGMENT_READ_MODELS);
    const perPage = query.per_page ?? DEFAULT_PER_PAGE;
    const scope: HistoryScope = { segment: id, contact: query.contact_id ?? null };
    const after =
      query.starting_after === undefined
        ? undefined
        : decodeHistoryCursor(query.starting_after, scope);
    // A cursor carries its own page and wins, as on `GET /contacts`.
    const page = after?.page ?? query.page ?? 1;
    // A deleted segment's history is gone with it, as its members are.
    const [, rows, totalCount] = await Promise.all([
      this.segments.getSegmentOrThrow(workspaceId, id),
      this.segments.history(workspaceId, id, {
        ...(query.contact_id !== undefined ? { contactId: query.contact_id } : {}),
        ...(after ? { after } : { skip: (page - 1) * perPage }),
        limit: perPage + 1,
      }),
      this.segments.historyCount(workspaceId, id, query.contact_id),
    ]);
    const changes = rows.slice(0, perPage);
    const last = changes[changes.length - 1];
    return {
      type: 'segment.history' as const,
      segment_id: id,
      data: changes.map(toMembershipChange),
      total_count: totalCount,
      pages: {
        type: 'pages' as const,
        page,
        per_page: perPage,
        total_pages: totalPagesOf(page, perPage, totalCount),
        ...(rows.length > perPage && last
          ? {
              next: {
                page: page + 1,
                starting_after: encodeHistoryCursor(
                  {
                    position: String(last.position),
                    seq: Number(last.seq),
                    contactId: last.contact_id,
                    change: last.change,
                    page: page + 1,
                  },
                  scope,
                ),
              },
            }
          : {}),
      },
    };
  }

  private async respondWith(workspaceId: string, segmentId: string, position: bigint | undefined) {
    await this.readYourWrites.waitFor(position, SEGMENT_READ_MODELS);
    return toSegmentDefinitionResponse(
      await this.segments.getSegmentOrThrow(workspaceId, segmentId),
    );
  }

  /**
   * A validated list request: pagination checked by the search parser, over `query` (raw, for a
   * search-language query) or `node` (already parsed).
   */
  private listRequest(
    pagination: unknown,
    node: SearchNode | undefined,
    query: unknown = { field: 'role', operator: 'IN', value: ['lead', 'user'] },
    page?: number,
  ): ContactSearchRequest {
    // An array is no pagination: left to the parser, which refuses it as search does.
    const cleaned =
      typeof pagination === 'object' && pagination !== null && !Array.isArray(pagination)
        ? Object.fromEntries(Object.entries(pagination).filter(([, value]) => value !== undefined))
        : pagination;
    const request = parseContactSearchRequest(
      { query, ...(cleaned !== undefined ? { pagination: cleaned } : {}) },
      { customAttributeType: () => undefined },
    );
    // A numbered page is a query parameter's (`?page=`), never a body's: added once validated.
    const numbered =
      page === undefined ? request : { ...request, pagination: { ...request.pagination, page } };
    return node ? { ...numbered, query: node } : numbered;
  }

  private searchTarget() {
    return {
      db: this.readStore.queryDb,
      dialect: this.readStore.dialect,
      table: this.runner.tables<{ contacts: unknown }>('contacts')('contacts'),
    };
  }
}

/** Segment ids are 24 hex characters; anything else names no segment. */
function requireSegmentId(id: string): string {
  if (!CONTACT_ID_PATTERN.test(id)) throw new SegmentNotFound(id);
  return id;
}

/** The listing a history cursor belongs to: its segment, and the contact it is filtered to. */
interface HistoryScope {
  readonly segment: string;
  readonly contact: string | null;
}

function encodeHistoryCursor(cursor: HistoryCursor, scope: HistoryScope): string {
  return Buffer.from(JSON.stringify({ ...cursor, ...scope })).toString('base64url');
}

/**
 * A cursor anyone can forge or carry elsewhere: its values must fit the columns they are compared
 * with, and a cursor of another listing is refused (one made before cursors named their listing
 * carries no scope, and is taken as it is).
 */
function decodeHistoryCursor(text: string, scope: HistoryScope): HistoryCursor {
  const value = parsedHistoryCursor(text);
  if (value === undefined)
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      'Invalid starting_after cursor',
      'starting_after',
    );
  if (
    (value.segment !== undefined && value.segment !== scope.segment) ||
    (value.contact !== undefined && value.contact !== scope.contact)
  ) {
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      'starting_after is a cursor of another segment history listing',
      'starting_after',
    );
  }
  const { position, seq, contactId, change, page } = value;
  return { position, seq, contactId, change, page };
}

function parsedHistoryCursor(text: string): (HistoryCursor & Partial<HistoryScope>) | undefined {
  let value: Partial<Record<keyof HistoryCursor | keyof HistoryScope, unknown>>;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as typeof value;
  } catch {
    return undefined;
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.position !== 'string' ||
    !/^\d{39}$/.test(value.position) ||
    typeof value.seq !== 'number' ||
    !fitsIntegerColumn(value.seq) ||
    typeof value.contactId !== 'string' ||
    !isStorableText(value.contactId) ||
    (value.change !== 'entered' && value.change !== 'exited') ||
    !(value.segment === undefined || typeof value.segment === 'string') ||
    !(value.contact === undefined || value.contact === null || typeof value.contact === 'string')
  )
    return undefined;
  // Cursors made before pages were counted carry none: they open the second page at least.
  const page = value.page ?? 2;
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 2) return undefined;
  return {
    position: value.position,
    seq: value.seq,
    contactId: value.contactId,
    change: value.change,
    page,
    ...(value.segment !== undefined ? { segment: value.segment } : {}),
    ...(value.contact !== undefined ? { contact: value.contact } : {}),
  };
}

/** A body's instant is a JSON number; anything else is refused as no instant. */
const bodyInstant = (value: unknown): number | undefined =>
  value === undefined || typeof value === 'number' ? value : Number.NaN;

function requiredInstant(value: unknown, now: number, field: string): number {
  const at = pastInstant(bodyInstant(value), now, field);
  if (at === undefined)
    throw HttpProblem.of(400, 'parameter_not_found', `'${field}' is required`, field);
  return at;
}
