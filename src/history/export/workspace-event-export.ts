import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { CONTACTS_PROJECTION } from '../../../projections/contacts/contacts.projection';
import type { ContactsReadModel } from '../../../projections/contacts/contacts.table';
import { Environment } from '../../config/environment';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import {
  EVENT_STORE,
  type EventStore,
  type RecordedEvent,
} from '../../shared/event-store/event-store.port';
import { HttpProblem } from '../../shared/http/intercom-error';
import { isSelected, type ExportSelection } from './export-query';
import {
  contactIdOf,
  exportedStreamPrefixes,
  isExportedFrom,
  toExportedEvent,
} from './exported-event';

/** Events read from the store at a time: what the export holds in memory, at most. */
const PAGE_SIZE = 500;

/**
 * A workspace's events as `GET /export/events` streams them, in log order: read page by page
 * (a position cursor), so memory holds one page whatever the log's length, and only as fast as
 * the reader takes them (each page is read when the one before has been consumed).
 *
 * The export is of the log up to its head when it was asked (a cut: later events are not in it).
 * A deleted contact's events are left out, with those of the leads merged into it: its personal
 * data is readable from no route (domain.md). Which contacts are deleted is read from the
 * contacts read model, once it has caught up with the cut, page by page.
 */
@Injectable()
export class WorkspaceEventExport implements BeforeApplicationShutdown {
  /**
   * The exports being sent, and how each is cut: a shutdown cuts them (a reader that stalls would
   * hold it forever).
   */
  private readonly sending = new Map<Readable, () => void>();
  private closing = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    private readonly environment: Environment,
  ) {}

  /**
   * Waits for the contacts read model to reach the log's head (503 after the read-your-writes
   * timeout, before anything is sent), then gives the events, lazily.
   */
  async open(
    workspaceId: string,
    selection: ExportSelection,
  ): Promise<{
    /** The last position the export may reach: the head when asked, or `to_position` before it. */
    readonly end: bigint;
    readonly events: AsyncGenerator<RecordedEvent, void, undefined>;
  }> {
    const head = await this.store.headPosition();
    const end =
      selection.toPosition !== undefined && selection.toPosition < head
        ? selection.toPosition
        : head;
    const caughtUp = await this.runner.waitFor(end, this.environment.READ_YOUR_WRITES_TIMEOUT_MS, [
      CONTACTS_PROJECTION,
    ]);
    if (!caughtUp) {
      throw new HttpProblem(
        503,
        [
          {
            code: 'service_unavailable',
            message:
              'The contacts read model, which tells the deleted contacts, has not caught up with the log yet; retry the export',
          },
        ],
        { 'Retry-After': '1' },
      );
    }
    return { end, events: this.events(workspaceId, selection, end) };
  }

  /**
   * `events` as the route sends them, one JSON object a line, pulled only as fast as the client
   * reads. Cut when the service shuts down: the stream is destroyed, and so is `connection`, the
   * answer's, so the client sees the answer end early, and a client that has stopped reading
   * holds neither the answer's end nor the shutdown (ending the answer gracefully would wait for
   * that client to read what is buffered).
   */
  ndjson(events: AsyncIterable<RecordedEvent>, connection?: Socket): Readable {
    const stream = Readable.from(ndjsonLines(events), { objectMode: false });
    const cut = () => {
      stream.destroy(SHUTTING_DOWN);
      connection?.destroy();
    };
    this.sending.set(stream, cut);
    stream.once('close', () => this.sending.delete(stream));
    if (this.closing) cut();
    return stream;
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const cut of this.sending.values()) cut();
  }

  private async *events(
    workspaceId: string,
    selection: ExportSelection,
    end: bigint,
  ): AsyncGenerator<RecordedEvent, void, undefined> {
    const filter = {
      streamPrefixes: exportedStreamPrefixes(workspaceId),
      ...(selection.types !== undefined ? { eventTypes: selection.types } : {}),
    };
    let cursor = selection.afterPosition;
    for (;;) {
      const page: RecordedEvent[] = [];
      for await (const event of this.store.readAll({
        ...(cursor !== undefined ? { fromPosition: cursor } : {}),
        maxCount: PAGE_SIZE,
        filter,
      })) {
        page.push(event);
      }
      const last = page[page.length - 1];
      if (last === undefined) return;
      cursor = last.position;
      const chosen = page.filter(
        (event) =>
          event.position <= end &&
          isExportedFrom(workspaceId, event) &&
          isSelected(selection, {
            type: event.type,
            position: event.position,
            occurredAt: event.metadata.occurredAt,
          }),
      );
      const erased = await this.erasedContacts(workspaceId, chosen);
      for (const event of chosen) {
        const contactId = contactIdOf(event.streamId);
        if (contactId === undefined || !erased.has(contactId)) yield event;
      }
      if (last.position >= end || page.length < PAGE_SIZE) return;
    }
  }

  /**
   * Those of the contacts of `events` that the contacts read model no longer holds: every contact
   * with an event in the log has a row (visitor, lead, user, merged) until it is deleted, when
   * its row goes with those of the leads merged into it.
   */
  private async erasedContacts(
    workspaceId: string,
    events: readonly RecordedEvent[],
  ): Promise<ReadonlySet<string>> {
    const ids = [
      ...new Set(
        events.map((event) => contactIdOf(event.streamId)).filter((id) => id !== undefined),
      ),
    ];
    if (ids.length === 0) return new Set();
    const rows = await this.runner
      .queryDb<ContactsReadModel>(CONTACTS_PROJECTION)
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', ids)
      .execute();
    const held = new Set(rows.map((row) => row.id));
    return new Set(ids.filter((id) => !held.has(id)));
  }
}

const SHUTTING_DOWN = new Error('The service is shutting down: the export was cut');

async function* ndjsonLines(events: AsyncIterable<RecordedEvent>): AsyncGenerator<string> {
  for await (const event of events) yield `${JSON.stringify(toExportedEvent(event))}\n`;
}
