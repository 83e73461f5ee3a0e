import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { normalizeIdentity } from '../../../shared/stream-names';
import { ContactStreamWriter } from '../../contact-stream-writer';
import {
  CUSTOM_ATTRIBUTES_POLICY,
  type CustomAttributesPolicy,
} from '../../custom-attributes-policy';
import { evolve } from '../../domain/contact.evolve';
import { isLive, type LiveContact } from '../../domain/contact.state';
import {
  IdentityReservations,
  identityClaimsOf,
  type IdentityClaim,
} from '../../identity/identity-reservations';
import type { ContactWriteResult } from '../contact-write-result';
import { UpdateContactCommand } from './update-contact.command';

/** Claims identity values the update adds before appending; releases the ones it drops after. */
@CommandHandler(UpdateContactCommand)
export class UpdateContactHandler implements ICommandHandler<
  UpdateContactCommand,
  ContactWriteResult
> {
  constructor(
    private readonly writer: ContactStreamWriter,
    private readonly reservations: IdentityReservations,
    @Inject(CUSTOM_ATTRIBUTES_POLICY) private readonly customAttributes: CustomAttributesPolicy,
  ) {}

  async execute({
    workspaceId,
    contactId,
    role,
    attributes,
    cause,
    only,
    occurredAt,
    supplied,
  }: UpdateContactCommand): Promise<ContactWriteResult> {
    const state =
      only === 'leads_and_users'
        ? await this.writer.loadLeadOrUser(workspaceId, contactId)
        : await this.writer.load(workspaceId, contactId);
    if (isLive(state) && attributes.custom_attributes)
      await this.customAttributes.validate(workspaceId, attributes.custom_attributes);
    const outcome = await this.writer.execute(
      workspaceId,
      contactId,
      {
        type: 'UpdateContact',
        data: {
          contactId,
          workspaceId,
          ...(role ? { role } : {}),
          attributes,
          ...(only === 'visitors' ? { visitorsOnly: true } : {}),
          ...(occurredAt !== undefined ? { occurredAt } : {}),
          ...(supplied !== undefined ? { supplied } : {}),
        },
        now: this.writer.nowSeconds(),
      },
      {
        cause,
        ...(occurredAt !== undefined ? { occurredAt: occurredAt * 1000 } : {}),
        // The claims follow from the state the update is decided on, not the one read above (a
        // concurrent write, a role change or another email, re-decides it, and claims again),
        // and from what it decided: not every email sent is written (`emailOfLeadItWas`).
        prepare: async (decidedOn, events) => {
          const decided = events.reduce(evolve, decidedOn);
          if (!isLive(decidedOn) || !isLive(decided)) return undefined;
          const { added, dropped } = identityChanges(decidedOn, decided);
          const claimed = await this.reservations.claimForAppend(
            workspaceId,
            contactId,
            added,
            'update_failed',
          );
          return {
            ...claimed,
            done: async () => {
              await claimed.done?.();
              await this.reservations.releaseAll(workspaceId, contactId, dropped, 'changed');
            },
          };
        },
      },
    );
    return {
      contactId,
      position: outcome.position,
      ...(isLive(outcome.state) ? { contact: outcome.state } : {}),
    };
  }
}

/** The identity values an update makes the contact hold, and those it makes it give up. */
function identityChanges(
  before: LiveContact,
  after: LiveContact,
): { added: IdentityClaim[]; dropped: IdentityClaim[] } {
  const held = (contact: LiveContact) =>
    identityClaimsOf({
      role: contact.status,
      external_id: contact.external_id,
      email: contact.email,
    });
  const [heldBefore, heldAfter] = [held(before), held(after)];
  return { added: difference(heldAfter, heldBefore), dropped: difference(heldBefore, heldAfter) };
}

const sameClaim = (a: IdentityClaim, b: IdentityClaim): boolean =>
  a.kind === b.kind && normalizeIdentity(a.kind, a.value) === normalizeIdentity(b.kind, b.value);

const difference = (
  from: readonly IdentityClaim[],
  without: readonly IdentityClaim[],
): IdentityClaim[] => from.filter((claim) => !without.some((other) => sameClaim(claim, other)));
