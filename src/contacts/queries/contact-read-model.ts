import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type {
  ContactsReadModel,
  ContactsTable,
} from '../../../projections/contacts/contacts.table';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { ContactMerged, ContactNotFound } from '../domain/contact.errors';

/** Reads of the contacts projection. Rows of other workspaces are never visible. */
@Injectable()
export class ContactReadModel {
  readonly db: Kysely<ContactsReadModel>;

  constructor(@Inject(PROJECTION_RUNNER) runner: ProjectionRunner) {
    this.db = runner.queryDb<ContactsReadModel>('contacts');
  }

  async findRow(workspaceId: string, contactId: string): Promise<ContactsTable | undefined> {
    return this.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', contactId)
      .executeTakeFirst();
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
