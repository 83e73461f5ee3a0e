import type {
  CustomAttributeValue,
  CustomAttributes,
} from '../../contacts/domain/contact.attributes';
import { CustomAttributeRefused } from './data-attribute.errors';
import { findCustomAttribute, type DataAttributesState } from './data-attribute.state';
import {
  MAX_STRING_VALUE_LENGTH,
  type CustomDataAttribute,
  type DataAttributeModel,
} from './data-attribute.types';
import { fitsCharacters } from '../../shared/characters';
import { LAST_SECOND_OF_YEAR_9999 } from '../../shared/unix-time';

const fitsType = (
  attribute: CustomDataAttribute,
  value: unknown,
): value is string | number | boolean => {
  switch (attribute.data_type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      // Instants search can ask for (years up to 9999).
      return (
        Number.isSafeInteger(value) &&
        (value as number) >= 0 &&
        (value as number) <= LAST_SECOND_OF_YEAR_9999
      );
  }
};

/** Who writes: the API writes any custom attribute, the Messenger those marked messenger_writable. */
export type CustomAttributeWriter = 'api' | 'messenger';

const checkedValue = (
  name: string,
  attribute: CustomDataAttribute | undefined,
  value: unknown,
  writer: CustomAttributeWriter,
): CustomAttributeValue => {
  if (!attribute) throw new CustomAttributeRefused(name, 'unknown');
  if (writer === 'messenger' && !attribute.messenger_writable)
    throw new CustomAttributeRefused(name, 'not_messenger_writable');
  // Clearing is always allowed, even on an archived attribute: it only removes data.
  if (value === null) return null;
  if (attribute.archived) throw new CustomAttributeRefused(name, 'archived');
  if (!fitsType(attribute, value))
    throw new CustomAttributeRefused(name, 'wrong_type', attribute.data_type);
  if (typeof value === 'string') {
    if (attribute.options !== null && !attribute.options.includes(value)) {
      throw new CustomAttributeRefused(name, 'not_an_option');
    }
    if (!fitsCharacters(value, MAX_STRING_VALUE_LENGTH))
      throw new CustomAttributeRefused(name, 'too_long');
  }
  return value;
};

/**
 * Checks a `custom_attributes` write (as received: values of any JSON type) against the
 * workspace's definitions and returns it typed. Throws `CustomAttributeRefused` for the first
 * offending attribute, in the write's key order, naming it as `custom_attributes.<name>` (the
 * Messenger writes only attributes marked `messenger_writable`);
 * a refused write must record nothing. `null` clears a defined attribute.
 */
export const validateCustomAttributeWrites = (
  definitions: DataAttributesState,
  writes: Readonly<Record<string, unknown>>,
  model: DataAttributeModel = 'contact',
  writer: CustomAttributeWriter = 'api',
): CustomAttributes => {
  const checked: Record<string, CustomAttributeValue> = {};
  for (const [name, value] of Object.entries(writes)) {
    checked[name] = checkedValue(
      name,
      findCustomAttribute(definitions, model, name),
      value,
      writer,
    );
  }
  return checked;
};
