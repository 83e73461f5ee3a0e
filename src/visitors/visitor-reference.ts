import { Injectable } from '@nestjs/common';
import { ContactLocator } from '../identity-resolution/contact-locator';
import type { LocatedContact } from '../identity-resolution/located-contact';
import { visitorContactId } from '../identity-resolution/visitor-contact-id';
import { VisitorReadModel } from './queries/visitor-read-model';
import { VisitorNotFound, VisitorReferencesDisagree } from './visitor.errors';

export interface VisitorReference {
  readonly id?: string;
  readonly user_id?: string;
  readonly email?: string;
}

/**
 * The visitor a request names, read from its stream (consistent with the last write): by id, by
 * the messenger's user_id (its contact id is derived from it), or by email (read model). A contact
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
    const contactId =
      reference.id ??
      (reference.user_id !== undefined
        ? visitorContactId(workspaceId, reference.user_id)
        : reference.email !== undefined
          ? (await this.visitors.findByEmail(workspaceId, reference.email))?.id
          : undefined);
    const label = reference.id ?? reference.user_id ?? reference.email ?? '';
    const field =
      fieldsUnder +
      (reference.id !== undefined ? 'id' : reference.user_id !== undefined ? 'user_id' : 'email');
    if (contactId === undefined) throw new VisitorNotFound(label, field);
    if (
      reference.id !== undefined &&
      reference.user_id !== undefined &&
      visitorContactId(workspaceId, reference.user_id) !== reference.id
    ) {
      throw new VisitorReferencesDisagree(`${fieldsUnder}user_id`);
    }
    const located = await this.locator.locate(workspaceId, contactId);
    if (located.path.length > 1 || located.state.status !== 'visitor') {
      throw new VisitorNotFound(label, field);
    }
    return located;
  }
}
