import type { Type } from '@nestjs/common';
import { getMetadataStorage, ValidateBy } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerMetadataStorage } from 'class-transformer/types/MetadataStorage';
import { prototypeKeyPath } from '../prototype-keys';

/** One property's rules: the value passes when a condition skips it or every check holds. */
interface PropertyAcceptance {
  readonly conditions: ReadonlyArray<(object: object, value: unknown) => boolean>;
  readonly checks: ReadonlyArray<(value: unknown) => boolean>;
}

/** A DTO's rules as plain predicates, by property name. */
export type PlainAcceptance = ReadonlyMap<string, PropertyAcceptance>;

/**
 * The class-validator rules these predicates restate. Each one accepts only values that the rule
 * accepts (`maxLength` compares UTF-16 units, which is never less than the characters it counts),
 * so a body they all accept is one class-validator accepts too.
 */
const CHECKS: Readonly<
  Record<string, (constraints: readonly unknown[]) => (value: unknown) => boolean>
> = {
  isString: () => (value) => typeof value === 'string',
  maxLength:
    ([max]) =>
    (value) =>
      typeof value === 'string' && value.length <= (max as number),
  // `minLength` counts UTF-16 units too, never more than the characters it could count.
  minLength:
    ([min]) =>
    (value) =>
      typeof value === 'string' && value.length >= (min as number),
  isInt: () => (value) => typeof value === 'number' && Number.isInteger(value),
  min:
    ([min]) =>
    (value) =>
      typeof value === 'number' && value >= (min as number),
  max:
    ([max]) =>
    (value) =>
      typeof value === 'number' && value <= (max as number),
  isBoolean: () => (value) => typeof value === 'boolean',
  isIn:
    ([allowed]) =>
    (value) =>
      (allowed as readonly unknown[]).includes(value),
  isObject: () => (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
};

const PLAIN_RULES = new Map<string, (value: unknown) => boolean>();

/**
 * A class-validator rule made of a plain predicate, which the plain path runs as it is. `message`
 * may use class-validator's `$property`.
 */
export function PlainRule(
  name: string,
  predicate: (value: unknown) => boolean,
  message: string,
): PropertyDecorator {
  const known = PLAIN_RULES.get(name);
  if (known !== undefined && known !== predicate)
    throw new Error(`PlainRule ${name} is already a rule with another predicate`);
  PLAIN_RULES.set(name, predicate);
  return ValidateBy({ name, validator: { validate: predicate, defaultMessage: () => message } });
}

// class-transformer exports its metadata only from this path (@nestjs/mapped-types reads it there).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const transformerStorage = require('class-transformer/cjs/storage') as {
  readonly defaultMetadataStorage: TransformerMetadataStorage;
};

const compiled = new WeakMap<Type, PlainAcceptance | null>();

/**
 * The DTO's rules as plain predicates, or undefined when it has a rule, a class-transformer
 * setting or an option not listed here (nested DTOs, `each`, groups, `@Type`, `@Transform`, …):
 * such a DTO is always validated by class-validator.
 */
export function plainAcceptanceOf(dto: Type): PlainAcceptance | undefined {
  let acceptance = compiled.get(dto);
  if (acceptance === undefined) {
    acceptance = compile(dto);
    compiled.set(dto, acceptance);
  }
  return acceptance ?? undefined;
}

/**
 * True when `value` is a JSON object whose every field is one the DTO declares and satisfies its
 * rules. False means only "not plainly": class-validator decides (and words the refusal).
 */
export function acceptsPlainly(acceptance: PlainAcceptance, value: unknown): value is object {
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.getPrototypeOf(value) !== Object.prototype
  )
    return false;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!acceptance.has(key) || hasPrototypeKeys(object[key])) return false;
  }
  for (const [property, { conditions, checks }] of acceptance) {
    const field = object[property];
    if (!conditions.every((condition) => condition(object, field))) continue;
    if (!checks.every((check) => check(field))) return false;
  }
  return true;
}

function compile(dto: Type): PlainAcceptance | null {
  const transformer = transformerStorage.defaultMetadataStorage;
  const acceptance = new Map<
    string,
    {
      conditions: PropertyAcceptance['conditions'][number][];
      checks: PropertyAcceptance['checks'][number][];
    }
  >();
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  if (metadatas.length === 0) return null;
  for (const metadata of metadatas) {
    if (!isPlain(metadata)) return null;
    const property = metadata.propertyName;
    if (
      transformer.findTypeMetadata(dto, property) !== undefined ||
      transformer.findTransformMetadatas(dto, property, TransformationType.PLAIN_TO_CLASS).length >
        0 ||
      transformer.findExposeMetadata(dto, property) !== undefined ||
      transformer.findExcludeMetadata(dto, property) !== undefined
    )
      return null;
    let entry = acceptance.get(property);
    if (entry === undefined) {
      entry = { conditions: [], checks: [] };
      acceptance.set(property, entry);
    }
    if (metadata.type === 'conditionalValidation') {
      entry.conditions.push(metadata.constraints[0] as (object: object, value: unknown) => boolean);
      continue;
    }
    const name = metadata.name ?? '';
    const check = CHECKS[name]?.(metadata.constraints ?? []) ?? PLAIN_RULES.get(name);
    if (check === undefined) return null;
    entry.checks.push(check);
  }
  if (transformer.getStrategy(dto) !== 'none') return null;
  return acceptance;
}

function isPlain(metadata: ValidationMetadata): boolean {
  return (
    (metadata.type === 'conditionalValidation' || metadata.type === 'customValidation') &&
    !metadata.each &&
    !metadata.always &&
    (metadata.groups ?? []).length === 0
  );
}

/** A body holding one of `PROTOTYPE_KEYS` takes the full path (which refuses it by name). */
const hasPrototypeKeys = (value: unknown): boolean => prototypeKeyPath(value) !== undefined;
