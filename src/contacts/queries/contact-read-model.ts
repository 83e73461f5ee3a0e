import { Inject, Injectable } from '@nestjs/common';
import { CompiledQuery, type Kysely } from 'kysely';
import type {
  ContactsReadModel,
  ContactsTable,
} from '../../../projections/contacts/contacts.table';
import { READ_STORE } from '../../infrastructure/read-store/read-store.module';
import type { ReadStore } from '../../infrastructure/read-store/read-store';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { ContactMerged, ContactNotFound } from '../domain/contact.errors';

/** Reads of the contacts projection. Rows of other workspaces are never visible. */
@Injectable()
export class ContactReadModel {
  readonly db: Kysely<ContactsReadModel>;
  /** The point read's SQL per physical table, compiled once: it is the API's hottest query. */
  private readonly pointReadSql = new Map<string, string>();

  constructor(
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
  ) {
    this.db = runner.queryDb<ContactsReadModel>('contacts');
  }

  async findRow(workspaceId: string, contactId: string): Promise<ContactsTable | undefined> {
    const table = this.runner.tables<ContactsReadModel>('contacts')('contacts');
    let sql = this.pointReadSql.get(table);
    if (sql === undefined) {
      sql = (this.readStore.db as Kysely<Record<string, ContactsTable>>)
        .selectFrom(table)
        .selectAll()
        .where('workspace_id', '=', '')
        .where('id', '=', '')
        .compile().sql;
      this.pointReadSql.set(table, sql);
    }
    const result = await this.readStore.db.executeQuery<ContactsTable>(
      CompiledQuery.raw(sql, [workspaceId, contactId]),
    );
    return result.rows[0];
  }

  /**
   * A lead or user as the Contacts API shows it: visitors are not contacts there, and a merged id
   * is refused with a link to the contact it lives on as.
   */
  async getContactOrThrow(workspaceId: string, contactId: string): Promise<ContactsTable> {
    const row = await this.findRow(workspaceId, contactId);
    if (!row || row.role === 'visitor') throw new ContactNotFound(contactId);
    if (row.status === 'merged') throw new ContactMerged(contactId, row.merged_into ?? '');
    return row;
  }

  async findUserByExternalId(
    workspaceId: string,
    externalId: string,
  ): Promise<ContactsTable | undefined> {
    return this.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', externalId)
      .where('role', '=', 'user')
      .where('status', '=', 'live')
      .executeTakeFirst();
  }
}
