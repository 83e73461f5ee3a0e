import type { Kysely } from 'kysely';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import {
  defineProjection,
  type AnyProjection,
  type ProjectionDefinition,
} from '../../src/projection-runner/projection';

export interface StreamCounterTables {
  stream_counter: { stream_id: string; events: number; last_position: string };
  /**
   * One row per event with how many times it was applied: deliberately not idempotent, so a
   * test sees any double application (real projections must be safe to apply twice).
   */
  stream_counter_applied: {
    event_id: string;
    stream_id: string;
    position: string;
    applications: number;
  };
  /** Only in builds of a definition made `withNotes` (a table a later version adds). */
  stream_counter_notes: { stream_id: string; note: string };
}

export const COUNTED_EVENT_TYPES = ['ThingHappened', 'ThingChanged'] as const;

export interface StreamCounterHooks {
  /** Called inside the transaction before the batch is written; may await (a test gate) or throw. */
  readonly beforeApply?: (events: readonly RecordedEvent[]) => Promise<void> | void;
  /** Called inside the transaction after an event's rows are written; throwing fails the batch. */
  readonly afterEvent?: (event: RecordedEvent) => Promise<void> | void;
  /** Called inside a migration's transaction after its statements; may await (a test gate). */
  readonly afterMigration?: (migration: string, db: Kysely<unknown>) => Promise<void> | void;
}

/** Test projection: counts events per stream. */
export function streamCounterProjection(
  options: {
    readonly version?: number;
    readonly hooks?: StreamCounterHooks;
    readonly withNotes?: boolean;
  } = {},
): ProjectionDefinition<StreamCounterTables> & AnyProjection {
  return defineProjection<StreamCounterTables>({
    name: 'stream_counter',
    version: options.version ?? 1,
    eventTypes: COUNTED_EVENT_TYPES,
    tables: [
      'stream_counter',
      'stream_counter_applied',
      ...(options.withNotes ? (['stream_counter_notes'] as const) : []),
    ],
    migrations: [
      {
        name: '001_tables',
        async up(db) {
          await db.schema
            .createTable('stream_counter')
            .addColumn('stream_id', 'text', (c) => c.primaryKey())
            .addColumn('events', 'integer', (c) => c.notNull())
            .addColumn('last_position', 'text', (c) => c.notNull())
            .execute();
          await db.schema
            .createTable('stream_counter_applied')
            .addColumn('event_id', 'text', (c) => c.primaryKey())
            .addColumn('stream_id', 'text', (c) => c.notNull())
            .addColumn('position', 'text', (c) => c.notNull())
            .addColumn('applications', 'integer', (c) => c.notNull())
            .execute();
          await options.hooks?.afterMigration?.('001_tables', db as Kysely<unknown>);
        },
      },
      {
        name: '002_index',
        async up(db, tables) {
          await db.schema
            .createIndex(`${tables('stream_counter_applied')}_by_stream`)
            .on('stream_counter_applied')
            .column('stream_id')
            .execute();
          await options.hooks?.afterMigration?.('002_index', db as Kysely<unknown>);
        },
      },
      ...(options.withNotes
        ? [
            {
              name: '003_notes',
              async up(db: Kysely<StreamCounterTables>) {
                await db.schema
                  .createTable('stream_counter_notes')
                  .addColumn('stream_id', 'text', (c) => c.primaryKey())
                  .addColumn('note', 'text', (c) => c.notNull())
                  .execute();
              },
            },
          ]
        : []),
    ],
    async apply(events, tx) {
      await options.hooks?.beforeApply?.(events);
      for (const event of events) {
        await tx
          .insertInto('stream_counter')
          .values({
            stream_id: event.streamId,
            events: 1,
            last_position: event.position.toString(),
          })
          .onConflict((oc) =>
            oc.column('stream_id').doUpdateSet((eb) => ({
              events: eb('stream_counter.events', '+', 1),
              last_position: event.position.toString(),
            })),
          )
          .execute();
        await tx
          .insertInto('stream_counter_applied')
          .values({
            event_id: event.id,
            stream_id: event.streamId,
            position: event.position.toString(),
            applications: 1,
          })
          .onConflict((oc) =>
            oc.column('event_id').doUpdateSet((eb) => ({
              applications: eb('stream_counter_applied.applications', '+', 1),
            })),
          )
          .execute();
        await options.hooks?.afterEvent?.(event);
      }
    },
  });
}
