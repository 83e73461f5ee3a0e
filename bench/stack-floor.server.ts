/**
 * The bare stack behind `bench/stack-floor.bench.ts`: NestJS 11 on Fastify with none of the
 * service's modules, hooks or storage. Its routes do the least any implementation of the real
 * ones must do: a constant; a contact create that validates its body with class-validator (or
 * with Fastify's JSON schema) and answers the contact object the service answers, without
 * storing anything; the class-validator one with one
 * durable append (better-sqlite3, the event store's schema, WAL, synchronous=FULL, every request
 * waiting for a group commit); a messenger batch validated by its JSON schema and appended
 * durably in one transaction, answering a result per item.
 */
import 'reflect-metadata';
import Database from 'better-sqlite3';
import { Body, Controller, Get, HttpCode, Module, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsEmail, IsIn, IsOptional, IsString } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { liveRow } from '../projections/contacts/contacts.projection';
import { newContactId } from '../src/contacts/contact-id';
import { contactDecider } from '../src/contacts/domain/contact.decider';
import type { LiveContact } from '../src/contacts/domain/contact.state';
import { toContactResponse } from '../src/contacts/http/contact.response';
import { SQLITE_EVENT_STORE_SCHEMA } from '../src/infrastructure/event-store/sqlite/sqlite-event-store.schema';
import { completionIdOf } from '../src/messenger/ingestion-records';
import { MESSENGER_BATCH_SCHEMA } from '../src/messenger/messenger-batch.schema';
import { IntercomVersion } from '../src/shared/http/intercom-version';
import {
  createReadModelTables,
  readModelWriter,
  startReadModelWorker,
  threadCpuMicros,
  type ReadModelWrite,
} from './stack-floor.read-models';
import type { SightingContext } from './stack-floor.service-read-models';

const db = new Database(process.env.FLOOR_DB_FILE);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(SQLITE_EVENT_STORE_SCHEMA);
const insert = db.prepare(
  'INSERT INTO events (stream_id, revision, id, type, data, metadata, recorded_at) VALUES (?, 0, ?, ?, ?, ?, ?)',
);
type Row = readonly [streamId: string, type: string, data: string];
const insertAll = db.transaction((rows: readonly Row[]) => {
  for (const [streamId, type, data] of rows)
    insert.run(streamId, randomUUID(), type, data, '{"workspaceId":"bench"}', Date.now());
});

/** Appends wait for one transaction per turn of the event loop: the store's group commit. */
let waiting: Array<{ readonly row: Row; readonly done: () => void }> = [];
function appendDurably(row: Row): Promise<void> {
  return new Promise((done) => {
    if (waiting.length === 0)
      setImmediate(() => {
        const batch = waiting;
        waiting = [];
        insertAll(batch.map((entry) => entry.row));
        for (const entry of batch) entry.done();
      });
    waiting.push({ row, done });
  });
}

interface FloorItem {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: number;
  readonly visitor_id: string;
  readonly event_name?: string;
  readonly metadata?: object;
  readonly attributes?: { readonly name?: string };
  readonly context?: SightingContext;
}

/**
 * Ingestion with its read models at their least (`stack-floor.read-models.ts`): the contact a
 * visitor id leads to, its stream's revision and its last sighting are kept in memory (no reads),
 * every item appends one event (the least that proves it accepted) in one durable transaction per
 * batch, and the read-model writes it causes are applied on this thread or on a worker. Exactly
 * once at its least: the event's id is derived from the item's key as the service derives its
 * completion id, the log has a unique index on event ids, and one lookup per batch finds the keys
 * stored before (a key repeated in the batch is found in memory); those are answered duplicate.
 */
class FloorIngestion {
  private readonly contacts = new Map<string, { id: string; revision: number; seenAt: number }>();
  private readonly storedAmong: (ids: readonly string[]) => Set<string>;
  private readonly append: (
    rows: ReadonlyArray<readonly [string, number, string, string, string]>,
  ) => void;

  constructor(
    eventsFile: string,
    private readonly applyReadModels: (writes: readonly ReadModelWrite[]) => void,
    /** Registrations carry the item's context (the service's read models hold it). */
    private readonly sendsContext = false,
  ) {
    const events = new Database(eventsFile);
    events.pragma('journal_mode = WAL');
    events.pragma('synchronous = FULL');
    events.exec(SQLITE_EVENT_STORE_SCHEMA);
    events.exec('CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id)');
    const storedIds = events.prepare(
      'SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?))',
    );
    this.storedAmong = (ids) =>
      new Set((storedIds.all(JSON.stringify(ids)) as Array<{ id: string }>).map((row) => row.id));
    const insertEvent = events.prepare(
      'INSERT INTO events (stream_id, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.append = events.transaction((rows) => {
      for (const [streamId, revision, id, type, data] of rows)
        insertEvent.run(streamId, revision, id, type, data, '{"workspaceId":"bench"}', Date.now());
    });
  }

  ingest(items: readonly FloorItem[]) {
    const rows: Array<readonly [string, number, string, string, string]> = [];
    const writes: ReadModelWrite[] = [];
    const eventIds = items.map((item) => completionIdOf('bench', item.id));
    const done = this.storedAmong(eventIds);
    const results = items.map((item, index) => {
      const eventId = eventIds[index]!;
      if (done.has(eventId)) return { id: item.id, status: 'duplicate' };
      done.add(eventId);
      const at = item.occurred_at;
      let contact = this.contacts.get(item.visitor_id);
      let type: string = item.type;
      if (contact === undefined) {
        contact = {
          id: `v${this.contacts.size.toString(16).padStart(23, '0')}`,
          revision: -1,
          seenAt: at,
        };
        this.contacts.set(item.visitor_id, contact);
        writes.push(
          this.sendsContext
            ? ['visitor', contact.id, item.visitor_id, at, item.context]
            : ['visitor', contact.id, item.visitor_id, at],
        );
        type = 'VisitorRegistered';
      }
      if (item.type === 'visitor.seen' && at - contact.seenAt >= 300) {
        contact.seenAt = at;
        writes.push(['seen', contact.id, at]);
      } else if (item.type === 'event.tracked') {
        writes.push([
          'data_event',
          contact.id,
          item.id,
          item.event_name!,
          at,
          JSON.stringify(item.metadata ?? {}),
        ]);
      } else if (
        item.type === 'contact.attributes_updated' &&
        item.attributes?.name !== undefined
      ) {
        writes.push(['name', contact.id, item.attributes.name, at]);
      } else if (item.type === 'conversation.started') {
        writes.push(['lead', contact.id, at]);
      }
      contact.revision += 1;
      rows.push([
        `contact-bench.${contact.id}`,
        contact.revision,
        eventId,
        type,
        JSON.stringify(item),
      ]);
      return { id: item.id, status: 'accepted', contact_id: contact.id };
    });
    this.append(rows);
    this.applyReadModels(writes);
    return { type: 'ingestion.result', results };
  }
}

const floorDir = process.env.FLOOR_DIR!;
const readModelsHere = `${floorDir}/read-here.sqlite`;
const readModelsInWorker = `${floorDir}/read-worker.sqlite`;
const serviceReadModelsHere = `${floorDir}/service-read-here.sqlite`;
const serviceReadModelsInWorker = `${floorDir}/service-read-worker.sqlite`;
let onThisThread: FloorIngestion;
let inWorker: FloorIngestion;
let worker: ReturnType<typeof startReadModelWorker>;
let serviceOnThisThread: FloorIngestion;
let serviceInWorker: FloorIngestion;
let serviceWorker: ReturnType<typeof startReadModelWorker>;
const membershipHere = `${floorDir}/membership-read-here.sqlite`;
const membershipInWorker = `${floorDir}/membership-read-worker.sqlite`;
let membershipOnThisThread: FloorIngestion;
let membershipInItsWorker: FloorIngestion;
let membershipWorker: ReturnType<typeof startReadModelWorker>;

async function openFloorIngestion(): Promise<void> {
  await createReadModelTables(readModelsHere);
  await createReadModelTables(readModelsInWorker);
  onThisThread = new FloorIngestion(
    `${floorDir}/events-here.sqlite`,
    readModelWriter(readModelsHere),
  );
  worker = startReadModelWorker(readModelsInWorker);
  inWorker = new FloorIngestion(`${floorDir}/events-worker.sqlite`, worker.post);
  await createReadModelTables(serviceReadModelsHere, 'service');
  await createReadModelTables(serviceReadModelsInWorker, 'service');
  serviceOnThisThread = new FloorIngestion(
    `${floorDir}/events-service-here.sqlite`,
    readModelWriter(serviceReadModelsHere, 'service'),
    true,
  );
  serviceWorker = startReadModelWorker(serviceReadModelsInWorker, 'service');
  serviceInWorker = new FloorIngestion(
    `${floorDir}/events-service-worker.sqlite`,
    serviceWorker.post,
    true,
  );
  await createReadModelTables(membershipHere, 'service-membership');
  await createReadModelTables(membershipInWorker, 'service-membership');
  membershipOnThisThread = new FloorIngestion(
    `${floorDir}/events-membership-here.sqlite`,
    readModelWriter(membershipHere, 'service-membership'),
    true,
  );
  membershipWorker = startReadModelWorker(membershipInWorker, 'service-membership');
  membershipInItsWorker = new FloorIngestion(
    `${floorDir}/events-membership-worker.sqlite`,
    membershipWorker.post,
    true,
  );
}

class CreateContactBody {
  @IsOptional() @IsIn(['user', 'lead']) role?: string;
  @IsOptional() @IsEmail() email?: string;
  @IsOptional() @IsString() name?: string;
}

/** The contact object the service answers for such a body, by its own serializer. */
function contactResponse(contactId: string, body: CreateContactBody) {
  const now = Math.floor(Date.now() / 1000);
  const state = contactDecider.evolve(contactDecider.initialState(), {
    type: body.role === 'lead' ? 'LeadCreated' : 'UserCreated',
    data: {
      contactId,
      workspaceId: 'bench',
      createdAt: now,
      attributes: { email: body.email, name: body.name },
    },
  });
  return toContactResponse(liveRow(state as LiveContact, 0), IntercomVersion.DEFAULT);
}

/** The same body checked by Fastify's compiled JSON schema (ajv) instead of class-validator. */
const CREATE_CONTACT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    role: { enum: ['user', 'lead'] },
    email: { type: 'string', format: 'email' },
    name: { type: 'string' },
  },
};

const validated = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true });

@Controller()
class FloorController {
  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Post('contacts/unstored')
  @HttpCode(200)
  unstored(@Body(validated) body: CreateContactBody) {
    return contactResponse(newContactId(Date.now()), body);
  }

  @Post('contacts/unstored-schema')
  @HttpCode(200)
  unstoredBySchema(@Body() body: CreateContactBody) {
    return contactResponse(newContactId(Date.now()), body);
  }

  @Post('contacts')
  @HttpCode(200)
  async create(@Body(validated) body: CreateContactBody) {
    const contactId = newContactId(Date.now());
    await appendDurably([`contact-bench.${contactId}`, 'UserCreated', JSON.stringify(body)]);
    return contactResponse(contactId, body);
  }

  @Post('messenger/events')
  @HttpCode(200)
  ingest(@Body() body: { events: Array<{ id: string; type: string }> }) {
    insertAll(
      body.events.map((item) => [`messenger-bench.${item.id}`, item.type, JSON.stringify(item)]),
    );
    return { results: body.events.map((item) => ({ id: item.id, status: 'accepted' })) };
  }

  @Post('read-models-here/messenger/events')
  @HttpCode(200)
  ingestWithReadModels(@Body() body: { events: FloorItem[] }) {
    return onThisThread.ingest(body.events);
  }

  @Post('read-models-in-worker/messenger/events')
  @HttpCode(200)
  ingestWithReadModelsInWorker(@Body() body: { events: FloorItem[] }) {
    return inWorker.ingest(body.events);
  }

  /** Answers once the worker has applied every batch answered so far. */
  @Get('read-models-in-worker/caught-up')
  async caughtUp() {
    await worker.caughtUp();
    return { caught_up: true };
  }

  @Post('service-read-models-here/messenger/events')
  @HttpCode(200)
  ingestWithServiceReadModels(@Body() body: { events: FloorItem[] }) {
    return serviceOnThisThread.ingest(body.events);
  }

  @Post('service-read-models-in-worker/messenger/events')
  @HttpCode(200)
  ingestWithServiceReadModelsInWorker(@Body() body: { events: FloorItem[] }) {
    return serviceInWorker.ingest(body.events);
  }

  @Get('service-read-models-in-worker/caught-up')
  async serviceCaughtUp() {
    await serviceWorker.caughtUp();
    return { caught_up: true };
  }

  @Post('membership-read-models-here/messenger/events')
  @HttpCode(200)
  ingestWithMembershipCopy(@Body() body: { events: FloorItem[] }) {
    return membershipOnThisThread.ingest(body.events);
  }

  @Post('membership-read-models-in-worker/messenger/events')
  @HttpCode(200)
  ingestWithMembershipCopyInWorker(@Body() body: { events: FloorItem[] }) {
    return membershipInItsWorker.ingest(body.events);
  }

  @Get('membership-read-models-in-worker/caught-up')
  async membershipCaughtUp() {
    await membershipWorker.caughtUp();
    return { caught_up: true };
  }

  /**
   * CPU time run so far, in microseconds: by this (the server's) thread, by each read-model
   * worker, and by the whole process (its other threads too: the collector's helpers, libuv's).
   */
  @Get('cpu')
  async cpu() {
    const { user, system } = process.cpuUsage();
    return {
      main: threadCpuMicros(),
      workers: {
        'read-models-in-worker': await worker.cpuMicros(),
        'service-read-models-in-worker': await serviceWorker.cpuMicros(),
        'membership-read-models-in-worker': await membershipWorker.cpuMicros(),
      },
      process: user + system,
    };
  }
}

@Module({ controllers: [FloorController] })
class FloorModule {}

async function main(): Promise<void> {
  await openFloorIngestion();
  const app = await NestFactory.create<NestFastifyApplication>(
    FloorModule,
    new FastifyAdapter({ bodyLimit: 2 * 1024 * 1024 }),
    { logger: false },
  );
  // Fastify's compiled JSON schemas check these bodies before the handler, as cheaply as it gets.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      if (route.url.endsWith('/messenger/events')) route.schema = { body: MESSENGER_BATCH_SCHEMA };
      if (route.url === '/contacts/unstored-schema') route.schema = { body: CREATE_CONTACT_SCHEMA };
    });
  // Exiting normally on SIGTERM lets --cpu-prof write its profile.
  process.once('SIGTERM', () => process.exit(0));
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.send?.('ready');
}

void main();
