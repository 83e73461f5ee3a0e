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

/** Visitors as the contacts read model holds them (live rows whose role is still `visitor`). */
@Injectable()
export class VisitorReadModel {
  private readonly db: Kysely<ContactsReadModel>;

  constructor(@Inject(PROJECTION_RUNNER) runner: ProjectionRunner) {
    this.db = runner.queryDb<ContactsReadModel>('contacts');
  }

  findById(workspaceId: string, id: string): Promise<ContactsTable | undefined> {
    return this.visitors(workspaceId).where('id', '=', id).executeTakeFirst();
  }

  findByUserId(workspaceId: string, userId: string): Promise<ContactsTable | undefined> {
    return this.visitors(workspaceId).where('visitor_user_id', '=', userId).executeTakeFirst();
  }

  findByEmail(workspaceId: string, email: string): Promise<ContactsTable | undefined> {
    return this.visitors(workspaceId).where('email', '=', email).executeTakeFirst();
  }

  private visitors(workspaceId: string) {
    return this.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('role', '=', 'visitor')
      .where('status', '=', 'live');
  }
}
