import type { UnixSeconds } from '../../contacts/domain/contact.attributes';
import type { CustomAttributeTypeLookup } from '../../contacts/search/contact-search.fields';
import type { SegmentRef } from './segment.events';

/**
 * Segment commands carry `now` (unix seconds) from the shell's clock and, where a rule is given,
 * the workspace's custom attribute types and time zone at that moment, so `decide` stays pure.
 */
type SegmentCommandOf<Type extends string, Data = object> = {
  readonly type: Type;
  readonly data: SegmentRef & Data;
  readonly now: UnixSeconds;
};

interface RuleInput {
  /** The rule as the client sent it (validated by `decide`). */
  readonly rule: unknown;
  readonly customAttributeType: CustomAttributeTypeLookup;
  readonly timeZone: string;
}

export type CreateSegment = SegmentCommandOf<
  'CreateSegment',
  RuleInput & { readonly name: unknown; readonly personType: unknown }
>;

export type RenameSegment = SegmentCommandOf<'RenameSegment', { readonly name: unknown }>;

/** `rule` or `personType` may be left out to keep the current one. */
export type ChangeSegmentRule = SegmentCommandOf<
  'ChangeSegmentRule',
  {
    readonly rule?: unknown;
    readonly personType?: unknown;
    readonly customAttributeType: RuleInput['customAttributeType'];
    readonly timeZone: RuleInput['timeZone'];
  }
>;

/**
 * A rename and a rule or person type change in one: each left out keeps the current one. Decided
 * whole, so that a refusal of any part records none of them.
 */
export type UpdateSegment = SegmentCommandOf<
  'UpdateSegment',
  ChangeSegmentRule['data'] & { readonly name?: unknown }
>;

export type DeleteSegment = SegmentCommandOf<'DeleteSegment'>;

export type SegmentCommand =
  CreateSegment | RenameSegment | ChangeSegmentRule | UpdateSegment | DeleteSegment;
