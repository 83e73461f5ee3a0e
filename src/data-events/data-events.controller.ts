import { DATA_EVENT_READ_MODELS } from '../../projections/read-models';
import { Body, Controller, Get, HttpCode, Post, Query, UseFilters } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ContactsTable } from '../../projections/contacts/contacts.table';
import type { DataEventsTable } from '../../projections/data-events/data-events.table';
import { ContactNotFound, EmailOfSeveralLeads } from '../contacts/domain/contact.errors';
import { ContactErrorsFilter } from '../contacts/http/contact-errors.filter';
import { ContactReadModel } from '../contacts/queries/contact-read-model';
import { parseMetadata } from '../messenger/domain/messenger-item.parse';
import { ReadYourWrites } from '../projection-runner/projection-runner.module';
import { givenFields } from '../shared/http/given-fields';
import { HttpProblem, type IntercomErrorItem } from '../shared/http/intercom-error';
import { MinPosition } from '../shared/http/intercom-version';
import { RequestOrigin } from '../shared/http/request-origin';
import { WriteRoute } from '../shared/http/route-config';
import { WorkspaceId } from '../workspaces/workspace-auth.guard';
import { TrackDataEventCommand } from './commands/track-data-event/track-data-event.command';
import { ReportEventSummaryCommand } from './commands/report-event-summary/report-event-summary.command';
import {
  CreateDataEventDto,
  CreateEventSummariesDto,
  ListDataEventsQueryDto,
} from './data-event.dto';
import { DataEventReadModel } from './queries/data-event-read-model';
import { dataEventListSubjectOf } from './data-event-list-subject';
import { DocumentedResponse } from '../shared/http/documented-route-schema';
import { DATA_EVENT_LIST_SCHEMA, DATA_EVENT_SUMMARY_SCHEMA } from './data-event.response-schema';
import { RequestCause } from '../shared/http/request-context';
import type { EventCause } from '../shared/event-store/event-store.port';

const DEFAULT_PER_PAGE = 50;

const isoTime = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().replace('Z', '+00:00');

@ApiTags('Data Events')
@ApiBearerAuth()
@UseFilters(ContactErrorsFilter)
@Controller('events')
export class DataEventsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly contacts: ContactReadModel,
    private readonly events: DataEventReadModel,
    private readonly readYourWrites: ReadYourWrites,
  ) {}

  /** 202 with an empty body, as Intercom answers; a repeated (name, created_at) is ignored. */
  @Post()
  @WriteRoute()
  @HttpCode(202)
  @ApiOperation({ summary: 'Submit a data event for a lead or user' })
  @ApiResponse({ status: 202, description: 'Accepted, with an empty body, as Intercom answers' })
  async create(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: CreateDataEventDto,
  ): Promise<void> {
    const subject = givenFields(body, ['id', 'user_id', 'email']);
    if (Object.keys(subject).length === 0) {
      throw HttpProblem.of(
        400,
        'parameter_not_found',
        'One of id, user_id, email is required',
        'id',
      );
    }
    const problems: IntercomErrorItem[] = [];
    const metadata =
      parseMetadata(body.metadata, (field, message) =>
        problems.push({ code: 'parameter_invalid', message, field }),
      ) ?? {};
    if (problems.length > 0) throw new HttpProblem(400, problems);
    const { position } = await this.commands.execute(
      new TrackDataEventCommand(
        workspaceId,
        subject,
        body.event_name,
        body.created_at,
        metadata,
        cause,
      ),
    );
    // Read-your-writes: a list right after the submit shows the event.
    await this.readYourWrites.waitFor(position, DATA_EVENT_READ_MODELS);
  }

  /**
   * 200 with an empty body, as Intercom answers: the user's summary (`GET /events?summary=true`)
   * adds the reported count to its tracked events'; the same report again is ignored.
   */
  @Post('summaries')
  @WriteRoute()
  @HttpCode(200)
  @ApiOperation({ summary: "Report a summary of a user's data events (count, first and last)" })
  @ApiResponse({ status: 200, description: 'Reported, with an empty body' })
  async createSummaries(
    @WorkspaceId() workspaceId: string,
    @RequestCause() cause: EventCause,
    @Body() body: CreateEventSummariesDto,
  ): Promise<void> {
    const { event_name, count, first, last } = body.event_summaries;
    const { position } = await this.commands.execute(
      new ReportEventSummaryCommand(
        workspaceId,
        body.user_id,
        {
          name: event_name,
          count,
          first,
          last,
        },
        cause,
      ),
    );
    await this.readYourWrites.waitFor(position, DATA_EVENT_READ_MODELS);
  }

  @Get()
  @ApiOperation({ summary: "List a contact's data events, or their summary with summary=true" })
  @DocumentedResponse({ oneOf: [DATA_EVENT_LIST_SCHEMA, DATA_EVENT_SUMMARY_SCHEMA] })
  async list(
    @WorkspaceId() workspaceId: string,
    @Query() query: ListDataEventsQueryDto,
    @MinPosition() minPosition: bigint | undefined,
    @RequestOrigin() origin: string,
  ) {
    await this.readYourWrites.waitForMinPosition(minPosition, DATA_EVENT_READ_MODELS);
    const contact = await this.subjectOf(workspaceId, query);
    const identity = identityOf(contact);
    if (query.summary === 'true') {
      const summary = await this.events.summary(workspaceId, contact.id);
      return {
        type: 'event.summary' as const,
        ...identity,
        events: summary.map((row) => ({
          name: row.name,
          first: isoTime(row.first),
          last: isoTime(row.last),
          count: row.count,
        })),
      };
    }
    const perPage = query.per_page ?? DEFAULT_PER_PAGE;
    const page = await this.events.list(workspaceId, contact.id, perPage, query.starting_after);
    return {
      type: 'event.list' as const,
      events: page.rows.map((row) => toDataEventResponse(row, contact)),
      pages: {
        ...(page.next !== undefined
          ? {
              next: `${origin}/events?type=user&intercom_user_id=${encodeURIComponent(contact.id)}&per_page=${perPage}&starting_after=${page.next}`,
            }
          : {}),
      },
    };
  }

  /** The live lead or user the query names (`intercom_user_id` follows merge links). */
  private async subjectOf(
    workspaceId: string,
    query: ListDataEventsQueryDto,
  ): Promise<ContactsTable> {
    const subject = dataEventListSubjectOf(query);
    let row: ContactsTable | undefined;
    switch (subject.by) {
      case 'intercom_user_id':
        row = await this.contacts.findRow(workspaceId, subject.value);
        if (row?.status === 'merged' && row.merged_into)
          row = await this.contacts.findRow(workspaceId, row.merged_into);
        break;
      case 'user_id':
        // As `POST /events` takes it: the lead or user holding it.
        row = await this.contacts.findByExternalId(workspaceId, subject.value);
        break;
      case 'email':
        row = await this.contacts
          .findByEmail(workspaceId, subject.value)
          .catch((error: unknown) => {
            throw error instanceof EmailOfSeveralLeads
              ? new EmailOfSeveralLeads(error.contactIds, subject.field)
              : error;
          });
        break;
    }
    if (!row || row.status !== 'live') throw new ContactNotFound(subject.value, subject.field);
    return row;
  }
}

function toDataEventResponse(row: DataEventsTable, contact: ContactsTable) {
  return {
    type: 'event' as const,
    id: row.event_id,
    event_name: row.name,
    created_at: Number(row.created_at),
    ...identityOf(contact),
    metadata:
      typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as unknown) : row.metadata,
  };
}

/**
 * Who the events are of, as Intercom's data event objects name them: `email` and `user_id` are
 * strings there, left out for a contact without them (a lead) rather than null.
 */
function identityOf(contact: ContactsTable) {
  return {
    ...(contact.email !== null ? { email: contact.email } : {}),
    intercom_user_id: contact.id,
    ...(contact.external_id !== null ? { user_id: contact.external_id } : {}),
  };
}
