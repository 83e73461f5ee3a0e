import { sql, type Kysely } from 'kysely';
import type { SearchDialect } from './contact-search.sql';

/**
 * Indexes that keep search fast at a million contacts per workspace: equality on email (the
 * case-folded expression the search compiles to), external_id and role; day ranges and the
 * default `created_at DESC, id DESC` order on the dates most searched. Every index leads with
 * `workspace_id`, the one condition every search has. `last_replied_at` and `last_contacted_at`
 * are left out: each index costs the projection a write per contact event.
 * Idempotent: safe to call from every run of the projection's migration.
 */
export async function createContactSearchIndexes<DB>(
  db: Kysely<DB>,
  table: string,
  dialect: SearchDialect,
): Promise<void> {
  const name = (suffix: string): string => `${table}_search_${suffix}`;
  const create = (suffix: string) => db.schema.createIndex(name(suffix)).ifNotExists().on(table);
  const foldedEmail = dialect === 'sqlite' ? sql`lower(email)` : sql`lower(email COLLATE "C")`;
  await create('email').column('workspace_id').expression(foldedEmail).execute();
  await create('external_id').columns(['workspace_id', 'external_id']).execute();
  await create('role_created').columns(['workspace_id', 'role', 'created_at', 'id']).execute();
  await create('created').columns(['workspace_id', 'created_at', 'id']).execute();
  for (const column of ['updated_at', 'signed_up_at', 'last_seen_at'] as const) {
    await create(column).columns(['workspace_id', column]).execute();
  }
}
