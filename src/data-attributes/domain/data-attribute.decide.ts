import { fitsCharacters } from '../../shared/characters';
import { isPrototypeKey } from '../../shared/prototype-keys';
import { RESERVED_CONTACT_ATTRIBUTE_NAMES } from './built-in-contact-attributes';
import type {
  CreateDataAttribute,
  DataAttributeCommand,
  UpdateDataAttribute,
} from './data-attribute.commands';
import {
  AttributeNameTaken,
  DataAttributeNotFound,
  DataTypeUnchangeable,
  InvalidAttributeName,
  type InvalidAttributeNameReason,
  MAX_NAME_CHARACTERS,
  InvalidDataType,
  InvalidDescription,
  InvalidModel,
  InvalidOptions,
  TooManyDataAttributes,
  UnsupportedModel,
} from './data-attribute.errors';
import type { DataAttributeChanges, DataAttributeEvent } from './data-attribute.events';
import {
  findCustomAttribute,
  liveCustomAttributeCount,
  type DataAttributesState,
} from './data-attribute.state';
import {
  DATA_ATTRIBUTE_MODELS,
  MAX_DESCRIPTION_CHARACTERS,
  MAX_LIVE_CUSTOM_ATTRIBUTES,
  MAX_OPTIONS,
  MAX_STRING_VALUE_LENGTH,
  MIN_OPTIONS,
  type CustomDataAttribute,
  type DataAttributeModel,
  type DataType,
} from './data-attribute.types';

type Decision = readonly DataAttributeEvent[];

const FORBIDDEN_NAME_PATTERN = /[.$~`!@#%^&*'{}|\\"]/;
const CONTROL_CHARACTER_PATTERN = /\p{Cc}/u;

/** Intercom knows contact and company attributes; this service has contacts only. */
export const requireSupportedModel = (model: string): Extract<DataAttributeModel, 'contact'> => {
  if (model === 'contact') return model;
  if ((DATA_ATTRIBUTE_MODELS as readonly string[]).includes(model))
    throw new UnsupportedModel(model);
  throw new InvalidModel(model);
};

const invalidNameReason = (name: string): InvalidAttributeNameReason | undefined => {
  if (name.trim() === '') return 'blank';
  if (name.trim() !== name) return 'spaces_around';
  if (!fitsCharacters(name, MAX_NAME_CHARACTERS)) return 'too_long';
  if (FORBIDDEN_NAME_PATTERN.test(name)) return 'forbidden_character';
  if (CONTROL_CHARACTER_PATTERN.test(name)) return 'control_character';
  // No contact, visitor or messenger write may hold such a key, so no value could ever be set.
  if (isPrototypeKey(name)) return 'prototype_key';
  return undefined;
};

const requireValidName = (name: string): void => {
  const reason = invalidNameReason(name);
  if (reason !== undefined) throw new InvalidAttributeName(name, reason);
};

/** A requested type as stored: `datetime` is Intercom's alias of `date`, `options` a string list. */
const storedDataType = (
  requested: string,
): { readonly dataType: DataType; readonly list: boolean } => {
  switch (requested) {
    case 'string':
    case 'integer':
    case 'float':
    case 'boolean':
    case 'date':
      return { dataType: requested, list: false };
    case 'datetime':
      return { dataType: 'date', list: false };
    case 'options':
      return { dataType: 'string', list: true };
    default:
      throw new InvalidDataType(requested);
  }
};

const requireValidOptions = (options: readonly string[]): readonly string[] => {
  if (options.length < MIN_OPTIONS) throw new InvalidOptions('too_few');
  if (options.length > MAX_OPTIONS) throw new InvalidOptions('too_many');
  if (options.some((option) => option.trim() === '')) throw new InvalidOptions('blank');
  // A contact's value must be one of the options, and no value may be longer.
  if (options.some((option) => !fitsCharacters(option, MAX_STRING_VALUE_LENGTH)))
    throw new InvalidOptions('too_long');
  if (new Set(options).size !== options.length) throw new InvalidOptions('duplicate');
  return [...options];
};

const requireValidDescription = (description: string | undefined): void => {
  if (description !== undefined && !fitsCharacters(description, MAX_DESCRIPTION_CHARACTERS))
    throw new InvalidDescription();
};

/** Options of a new attribute: required for `options`, allowed for `string`, refused otherwise. */
const optionsOfNew = (
  dataType: DataType,
  list: boolean,
  options: readonly string[] | undefined,
): readonly string[] | null => {
  if (options === undefined) {
    if (list) throw new InvalidOptions('too_few');
    return null;
  }
  if (dataType !== 'string') throw new InvalidOptions('not_a_list_attribute');
  return requireValidOptions(options);
};

export const createDataAttribute = (
  command: CreateDataAttribute,
  state: DataAttributesState,
): Decision => {
  const { workspaceId, name } = command.data;
  const model = requireSupportedModel(command.data.model);
  requireValidName(name);
  if (RESERVED_CONTACT_ATTRIBUTE_NAMES.has(name) || findCustomAttribute(state, model, name)) {
    throw new AttributeNameTaken(name, model);
  }
  const { dataType, list } = storedDataType(command.data.data_type);
  const options = optionsOfNew(dataType, list, command.data.options);
  requireValidDescription(command.data.description);
  if (liveCustomAttributeCount(state) >= MAX_LIVE_CUSTOM_ATTRIBUTES)
    throw new TooManyDataAttributes('name');
  return [
    {
      type: 'DataAttributeCreated',
      data: {
        workspaceId,
        id: state.lastId + 1,
        model,
        name,
        label: name,
        description: command.data.description ?? null,
        data_type: dataType,
        options,
        messenger_writable: command.data.messenger_writable ?? false,
        created_at: command.now,
      },
    },
  ];
};

/** Naming the attribute's own type (or its create-time alias) is allowed; any other is refused. */
const requireSameDataType = (
  attribute: CustomDataAttribute,
  requested: string | undefined,
): void => {
  if (requested === undefined) return;
  const same =
    requested === attribute.data_type ||
    (requested === 'datetime' && attribute.data_type === 'date') ||
    (requested === 'options' && attribute.options !== null);
  if (!same) throw new DataTypeUnchangeable(attribute.data_type, requested);
};

const sameOptions = (a: readonly string[] | null, b: readonly string[]): boolean =>
  a !== null && a.length === b.length && a.every((option, index) => option === b[index]);

const changesOf = (
  attribute: CustomDataAttribute,
  command: UpdateDataAttribute,
): DataAttributeChanges => {
  const { description, options, messenger_writable } = command.data;
  return {
    ...(description !== undefined && description !== attribute.description ? { description } : {}),
    ...(options !== undefined && !sameOptions(attribute.options, options) ? { options } : {}),
    ...(messenger_writable !== undefined && messenger_writable !== attribute.messenger_writable
      ? { messenger_writable }
      : {}),
  };
};

export const updateDataAttribute = (
  command: UpdateDataAttribute,
  state: DataAttributesState,
): Decision => {
  const { workspaceId, id, archived } = command.data;
  const attribute = state.attributes.get(id);
  if (!attribute) throw new DataAttributeNotFound(id);
  requireSameDataType(attribute, command.data.data_type);
  if (command.data.options !== undefined) {
    // A free-text attribute holds arbitrary values already: turning it into a list would leave
    // contacts with values outside the list, so only list attributes take new options.
    if (attribute.options === null) throw new InvalidOptions('not_a_list_attribute');
    requireValidOptions(command.data.options);
  }
  // A description stored before the bound may be sent back as it is, with other changes.
  if (command.data.description !== attribute.description)
    requireValidDescription(command.data.description);
  const events: DataAttributeEvent[] = [];
  const changes = changesOf(attribute, command);
  if (Object.keys(changes).length > 0) {
    events.push({
      type: 'DataAttributeUpdated',
      data: { workspaceId, id, changes, updated_at: command.now },
    });
  }
  if (archived === true && !attribute.archived) {
    events.push({
      type: 'DataAttributeArchived',
      data: { workspaceId, id, archived_at: command.now },
    });
  }
  if (archived === false && attribute.archived) {
    if (liveCustomAttributeCount(state) >= MAX_LIVE_CUSTOM_ATTRIBUTES)
      throw new TooManyDataAttributes('archived');
    events.push({
      type: 'DataAttributeUnarchived',
      data: { workspaceId, id, unarchived_at: command.now },
    });
  }
  return events;
};

export const decide = (command: DataAttributeCommand, state: DataAttributesState): Decision => {
  switch (command.type) {
    case 'CreateDataAttribute':
      return createDataAttribute(command, state);
    case 'UpdateDataAttribute':
      return updateDataAttribute(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`Unknown command ${JSON.stringify(unknown)}`);
    }
  }
};
