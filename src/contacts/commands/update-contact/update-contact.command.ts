import { Command } from '@nestjs/cqrs';
import type { AttributeChanges, UnixSeconds } from '../../domain/contact.attributes';
import type { ContactWriteResult } from '../contact-write-result';
import type { EventCause } from '../../../shared/event-store/event-store.port';

export class UpdateContactCommand extends Command<ContactWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly contactId: string,
    readonly role: 'lead' | 'user' | undefined,
    readonly attributes: AttributeChanges,
    readonly cause: EventCause,
    /**
     * Through the Contacts API, leads and users only: visitors, unknown and merged ids are refused
     * (see `requireLeadOrUser`). Through the Visitors API, visitors only, refused in the decision
     * since a visitor becomes a lead or user at any time (see `UpdateContact.visitorsOnly`).
     */
    readonly only?: 'leads_and_users' | 'visitors',
    /**
     * When it happened, if reported late (a messenger item): each field keeps its newest write by
     * event time. Unset: now.
     */
    readonly occurredAt?: UnixSeconds,
    /** A messenger `email.supplied` (see `UpdateContact.supplied`). */
    readonly supplied?: { readonly mergedFrom?: string },
  ) {
    super();
  }
}
