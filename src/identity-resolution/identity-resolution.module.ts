import { Module } from '@nestjs/common';
import { ContactsModule } from '../contacts/contacts.module';
import { ContactLocator } from './contact-locator';
import { IdentityResolution } from './identity-resolution.service';

/** Who an identity, a visitor id or a contact id stands for, shared by ingestion and the APIs. */
@Module({
  imports: [ContactsModule],
  providers: [ContactLocator, IdentityResolution],
  exports: [ContactLocator, IdentityResolution, ContactsModule],
})
export class IdentityResolutionModule {}
