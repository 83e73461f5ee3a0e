import type { CustomAttributes } from './domain/contact.attributes';
import type { CustomAttributeTypeLookup } from './search/contact-search.fields';

export const CUSTOM_ATTRIBUTES_POLICY = Symbol('CUSTOM_ATTRIBUTES_POLICY');

/**
 * The workspace's data attribute definitions as the contacts capability needs them. Provided by
 * the data-attributes capability.
 */
export interface CustomAttributesPolicy {
  /**
   * Throws an `HttpProblem` naming the attribute when a write does not fit its definition, or
   * (`writer` messenger) is of an attribute the Messenger may not write.
   */
  validate(
    workspaceId: string,
    writes: CustomAttributes,
    writer?: 'api' | 'messenger',
  ): Promise<void>;
  /** The search type of each defined custom attribute, for `custom_attributes.<name>` filters. */
  searchTypes(workspaceId: string): Promise<CustomAttributeTypeLookup>;
  /**
   * As `searchTypes`, for a rule that will go on filtering (a segment's): an archived attribute
   * is refused by name, as archiving one that a rule filters on is.
   */
  ruleTypes(workspaceId: string): Promise<CustomAttributeTypeLookup>;
}
