import { ContactDomainError } from '../contacts/domain/contact.errors';

/** The external_id and the email given belong to two different contacts. */
export class IdentitiesHeldByDifferentContacts extends ContactDomainError {
  override readonly name = 'IdentitiesHeldByDifferentContacts';
  readonly code = 'conflict';
  constructor(
    readonly holders: readonly string[],
    /** The request field whose value names a contact other than the rest of the request does. */
    override readonly field?: string,
  ) {
    super(`The identity given belongs to several contacts: ${holders.join(', ')}`);
  }
}

/**
 * The identity is held by a lead (or visitor), which cannot absorb another contact: only a user
 * can be the target of a merge.
 */
export class IdentityHeldByNonUser extends ContactDomainError {
  override readonly name = 'IdentityHeldByNonUser';
  readonly code = 'conflict';
  constructor(
    readonly holder: string,
    override readonly field?: string,
  ) {
    super(`A contact matching those details already exists with id=${holder}`);
  }
}
