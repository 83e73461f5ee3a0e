import { ContactDomainError } from '../contacts/domain/contact.errors';

/** A request naming a visitor by id and by user_id, which name two different visitors. */
export class VisitorReferencesDisagree extends ContactDomainError {
  override readonly name = 'VisitorReferencesDisagree';
  readonly code = 'conflict';
  constructor(override readonly field: string) {
    super('id and user_id name different visitors');
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
