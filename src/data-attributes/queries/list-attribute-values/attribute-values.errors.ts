import { DataAttributeError } from '../../domain/data-attribute.errors';

/**
 * No data attribute with that id in the workspace, or one whose values are not kept (`id`,
 * `avatar`, `browser_version`, `browser_language`). 404 with the code the capability already
 * answers an unknown data attribute id with.
 */
export class AttributeValuesNotFound extends DataAttributeError {
  override readonly name = 'AttributeValuesNotFound';
  readonly code = 'field_not_found';
  override readonly field = 'id';
  constructor(
    readonly attributeId: string,
    reason: 'unknown' | 'not_kept',
  ) {
    super(
      reason === 'unknown'
        ? `Data attribute ${attributeId} not found`
        : `Values are not kept for data attribute ${attributeId}`,
    );
  }
}

/** A `starting_after` this endpoint did not give out for this attribute. */
export class InvalidAttributeValuesCursor extends DataAttributeError {
  override readonly name = 'InvalidAttributeValuesCursor';
  readonly code = 'parameter_invalid';
  override readonly field = 'starting_after';
  constructor(reason: string) {
    super(`starting_after is not a valid cursor: ${reason}`);
  }
}
