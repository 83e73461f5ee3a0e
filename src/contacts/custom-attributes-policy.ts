import type { CustomAttributes } from './domain/contact.attributes';

export const CUSTOM_ATTRIBUTES_POLICY = Symbol('CUSTOM_ATTRIBUTES_POLICY');

/**
 * Validates custom attribute writes against the workspace's data attribute definitions; throws
 * an `HttpProblem` naming the attribute. Provided by the data-attributes capability.
 */
export interface CustomAttributesPolicy {
  validate(workspaceId: string, writes: CustomAttributes): Promise<void>;
}
