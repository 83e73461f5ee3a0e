import { ContactDomainError } from '../contacts/domain/contact.errors';

/**
 * A request naming a visitor twice (by id or user_id, and by user_id or email) where the second
 * does not name the visitor the first does: another contact, or no one.
 */
export class VisitorReferencesDisagree extends ContactDomainError {
  override readonly name = 'VisitorReferencesDisagree';
  readonly code = 'conflict';
  constructor(
    first: 'id' | 'user_id',
    second: 'user_id' | 'email',
    /** The request field of the second (`visitor.email`, …). */
    override readonly field: string,
  ) {
    super(`${first} and ${second} do not name the same visitor`);
  }
}

/** No visitor with that id, user_id or email (or it is a lead or user by now). */
export class VisitorNotFound extends ContactDomainError {
  override readonly name = 'VisitorNotFound';
  readonly code = 'not_found';
  constructor(
    readonly reference: string,
    /** The request field that named it (`user_id`, `visitor.email`, …). */
    override readonly field?: string,
  ) {
    super('Visitor Not Found');
  }
}
