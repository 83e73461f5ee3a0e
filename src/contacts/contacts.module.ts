import { Module } from '@nestjs/common';
import { DataAttributesModule } from '../data-attributes/data-attributes.module';
import { ArchiveContactHandler } from './commands/archive-contact/archive-contact.handler';
import { BlockContactHandler } from './commands/block-contact/block-contact.handler';
import { CreateContactHandler } from './commands/create-contact/create-contact.handler';
import { DeleteContactHandler } from './commands/delete-contact/delete-contact.handler';
import { MergeContactsHandler } from './commands/merge-contacts/merge-contacts.handler';
import { UpdateContactHandler } from './commands/update-contact/update-contact.handler';
import { ContactStreamWriter } from './contact-stream-writer';
import { ContactRelationsController } from './http/contact-relations.controller';
import { ContactsController } from './http/contacts.controller';
import { IdentityReservations } from './identity/identity-reservations';
import { ContactAsOf } from './queries/contact-as-of';
import { ContactTimeline } from './queries/contact-timeline';
import { ContactReadModel } from './queries/contact-read-model';

const commandHandlers = [
  CreateContactHandler,
  UpdateContactHandler,
  DeleteContactHandler,
  ArchiveContactHandler,
  BlockContactHandler,
  MergeContactsHandler,
];

const services = [
  ContactStreamWriter,
  IdentityReservations,
  ContactReadModel,
  ContactAsOf,
  ContactTimeline,
];

/** Contacts: lifecycle commands, identity uniqueness, merge, and the Intercom Contacts API. */
@Module({
  imports: [DataAttributesModule],
  controllers: [ContactsController, ContactRelationsController],
  providers: [...commandHandlers, ...services],
  exports: [ContactStreamWriter, IdentityReservations, ContactReadModel, ContactAsOf],
})
export class ContactsModule {}
