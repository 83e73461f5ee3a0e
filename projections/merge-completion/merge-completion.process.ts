import { completeMerge } from '../../src/contacts/commands/merge-contacts/complete-merge';
import { defineProjection } from '../../src/projection-runner/projection';
import type { Clock } from '../../src/shared/clock';
import type { EventStore } from '../../src/shared/event-store/event-store.port';

export interface MergeCompletionTables {
  merge_completion: {
    workspace_id: string;
    source_id: string;
    target_id: string;
    position: string;
  };
}

/**
 * The merge process manager, run by the projection runner for its checkpoints, retries and
 * status: every `ContactMergedInto` on the log gets its target's absorption, so a merge that a
 * crash interrupted between its two appends completes. `completeMerge` appends nothing for a merge
 * completed already, which covers at-least-once delivery, the race with the HTTP call that started
 * the merge, and a rebuild or a fresh instance replaying every merge of the log. A merge
 * whose target was deleted before absorbing its source is refused, and the source reopened.
 */
export function mergeCompletionProcess(deps: {
  readonly eventStore: EventStore;
  readonly clock: Clock;
}) {
  return defineProjection<MergeCompletionTables>({
    name: 'merge_completion',
    version: 1,
    eventTypes: ['ContactMergedInto'],
    tables: ['merge_completion'],
    migrations: [
      {
        name: '001_merge_completion',
        up: (db, tables) =>
          db.schema
            .createTable('merge_completion')
            .addColumn('workspace_id', 'text', (column) => column.notNull())
            .addColumn('source_id', 'text', (column) => column.notNull())
            .addColumn('target_id', 'text', (column) => column.notNull())
            .addColumn('position', 'text', (column) => column.notNull())
            .addPrimaryKeyConstraint(`${tables('merge_completion')}_pk`, [
              'workspace_id',
              'source_id',
            ])
            .execute(),
      },
    ],
    async apply(events, tx) {
      for (const event of events) {
        const { contactId, workspaceId, into } = event.data as {
          contactId: string;
          workspaceId: string;
          into: string;
        };
        await completeMerge(deps.eventStore, deps.clock, workspaceId, contactId, into);
        await tx
          .insertInto('merge_completion')
          .values({
            workspace_id: workspaceId,
            source_id: contactId,
            target_id: into,
            position: event.position.toString(),
          })
          .onConflict((conflict) => conflict.columns(['workspace_id', 'source_id']).doNothing())
          .execute();
      }
    },
  });
}
