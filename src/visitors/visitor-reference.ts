import { Injectable } from '@nestjs/common';
import { ContactNotFound, refusalNamedBy } from '../contacts/domain/contact.errors';
import { ContactLocator } from '../identity-resolution/contact-locator';
import type { LocatedContact } from '../identity-resolution/located-contact';
import { VisitorReadModel } from './queries/visitor-read-model';
import { VisitorNotFound, VisitorReferencesDisagree } from './visitor.errors';

export interface VisitorReference {
  readonly id?: string;
  readonly user_id?: string;
  readonly email?: string;
}

/**
 * The visitor a request names, read from its stream (consistent with the last write): by id, by
 * the messenger's user_id (its contact id is derived from it, see `locateSession`), or by email
 * (read model). A contact
 * that is a lead or user by now, or was merged, is no visitor any more.
 */
@Injectable()
export class VisitorReferences {
  constructor(
    private readonly locator: ContactLocator,
    private readonly visitors: VisitorReadModel,
  ) {}

  /** `fieldsUnder` prefixes the field a refusal names (`visitor.` where the body nests it). */
  async locateOrThrow(
    workspaceId: string,
    reference: VisitorReference,
    fieldsUnder = '',
  ): Promise<LocatedContact> {
    const label = labelOf(reference);
    const field = fieldNaming(reference, fieldsUnder);
    let located: LocatedContact;
    if (reference.user_id !== undefined) {
      located = await this.locator.locateSession(workspaceId, reference.user_id);
      if (reference.id !== undefined && located.path[0] !== reference.id)
        throw new VisitorReferencesDisagree('id', 'user_id', `${fieldsUnder}user_id`);
    } else {
      const contactId =
        reference.id ??
        (reference.email !== undefined
          ? (await this.visitors.findByEmail(workspaceId, reference.email))?.id
          : undefined);
      if (contactId === undefined) throw new VisitorNotFound(label, field);
      located = await this.locator.locate(workspaceId, contactId);
    }
    if (located.path.length > 1 || located.state.status !== 'visitor') {
      throw new VisitorNotFound(label, field);
    }
    // An email beside the id or user_id must be the visitor's own, as it would find it alone: one
    // naming another contact (or no one) leaves the request unclear about whom it converts.
    const namedBefore = reference.id !== undefined || reference.user_id !== undefined;
    if (namedBefore && reference.email !== undefined && located.state.email !== reference.email) {
      const first = reference.id !== undefined ? 'id' : 'user_id';
      throw new VisitorReferencesDisagree(first, 'email', `${fieldsUnder}email`);
    }
    return located;
  }
}

/** How a refusal of the visitor names it: by its id, else its user_id, else its email. */
const labelOf = (reference: VisitorReference): string =>
  reference.id ?? reference.user_id ?? reference.email ?? '';

/**
 * A refusal of the write to the visitor a request named (`contactId`, as `locateOrThrow` found
 * it), as the request names it. Its contact no visitor any more by the time of the write (a lead
 * since, deleted) is the `VisitorNotFound` that the same request arriving just after gets.
 */
export function visitorRefusalNamedBy(
  error: unknown,
  contactId: string,
  reference: VisitorReference,
  fieldsUnder = '',
): unknown {
  const field = fieldNaming(reference, fieldsUnder);
  if (
    error instanceof ContactNotFound &&
    error.contactId === contactId &&
    error.field === undefined
  )
    return new VisitorNotFound(labelOf(reference), field);
  return refusalNamedBy(error, contactId, field);
}

/** The request field a refusal of the visitor names: its id, else its user_id, else its email. */
const fieldNaming = (reference: VisitorReference, fieldsUnder = ''): string =>
  fieldsUnder +
  (reference.id !== undefined ? 'id' : reference.user_id !== undefined ? 'user_id' : 'email');
