import type { ApiPropertyOptions } from '@nestjs/swagger';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** One option as Intercom 2.16 sends it; the 2.14 SDK sends plain strings. */
export interface OptionValue {
  readonly value: string;
}

export type OptionInput = string | OptionValue;

const isOption = (option: unknown): option is OptionInput =>
  typeof option === 'string' ||
  (typeof option === 'object' &&
    option !== null &&
    !Array.isArray(option) &&
    Object.keys(option).length === 1 &&
    typeof (option as { value?: unknown }).value === 'string');

/** `options` as either Intercom version sends them: strings, or `{"value": string}` objects. */
export const IsOptionList = (validationOptions?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isOptionList',
      validator: {
        validate: (value: unknown): boolean => Array.isArray(value) && value.every(isOption),
        defaultMessage: () => 'options must be an array of strings or of {"value": string} objects',
      },
    },
    validationOptions,
  );

export const optionValues = (
  options: readonly OptionInput[] | undefined,
): readonly string[] | undefined =>
  options?.map((option) => (typeof option === 'string' ? option : option.value));

/** OpenAPI schema of an options list in either shape. */
export const OPTION_LIST_SCHEMA: ApiPropertyOptions = {
  type: 'array',
  items: {
    oneOf: [
      { type: 'string' },
      { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] },
    ],
  },
  example: [{ value: '1-10' }, { value: '11-50' }],
};
