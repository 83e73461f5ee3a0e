import { STANDARD_ATTRIBUTE_NAMES } from '../../contacts/domain/contact.attributes';
import { RESERVED_CONTACT_ATTRIBUTE_NAMES } from './built-in-contact-attributes';
import { validateCustomAttributeWrites } from './custom-attribute-writes';
import { CustomAttributeRefused } from './data-attribute.errors';
import { archived, created, fold } from './data-attribute.test-fixtures';

const definitions = fold([
  created(1, 'nickname'),
  created(2, 'seats', { data_type: 'integer' }),
  created(3, 'score', { data_type: 'float' }),
  created(4, 'paid', { data_type: 'boolean' }),
  created(5, 'renews_at', { data_type: 'date' }),
  created(6, 'plan', { options: ['free', 'pro'] }),
  created(7, 'legacy'),
  archived(7),
  created(8, 'widget_theme', { messenger_writable: true }),
]);

const refusal = (writes: Record<string, unknown>): CustomAttributeRefused => {
  try {
    validateCustomAttributeWrites(definitions, writes);
  } catch (error) {
    if (error instanceof CustomAttributeRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('validateCustomAttributeWrites', () => {
  it('lets the Messenger write only attributes marked messenger_writable, clearing included', () => {
    expect(
      validateCustomAttributeWrites(definitions, { widget_theme: 'dark' }, 'contact', 'messenger'),
    ).toEqual({ widget_theme: 'dark' });
    for (const writes of [{ nickname: 'Ada' }, { nickname: null }]) {
      expect(() =>
        validateCustomAttributeWrites(definitions, writes, 'contact', 'messenger'),
      ).toThrow(
        expect.objectContaining({
          reason: 'not_messenger_writable',
          field: 'custom_attributes.nickname',
        }),
      );
    }
  });

  it('accepts values of each data type and returns them', () => {
    const writes = {
      nickname: 'Ada',
      seats: 3,
      score: 2.5,
      paid: true,
      renews_at: 1_700_000_000,
      plan: 'pro',
    };
    expect(validateCustomAttributeWrites(definitions, writes)).toEqual(writes);
  });

  it('accepts an integer for a float', () => {
    expect(validateCustomAttributeWrites(definitions, { score: 3 })).toEqual({ score: 3 });
  });

  it('accepts null to clear any defined attribute, archived ones included', () => {
    expect(
      validateCustomAttributeWrites(definitions, { seats: null, plan: null, legacy: null }),
    ).toEqual({
      seats: null,
      plan: null,
      legacy: null,
    });
  });

  it('accepts a string of exactly 255 characters, counting an emoji once', () => {
    expect(() =>
      validateCustomAttributeWrites(definitions, { nickname: 'x'.repeat(255) }),
    ).not.toThrow();
    expect(() =>
      validateCustomAttributeWrites(definitions, { nickname: '😀'.repeat(255) }),
    ).not.toThrow();
  });

  it('refuses an unknown name with 400 parameter_invalid naming it', () => {
    expect(refusal({ nickname: 'Ada', shoe_size: 42 })).toMatchObject({
      code: 'parameter_invalid',
      field: 'custom_attributes.shoe_size',
      reason: 'unknown',
    });
  });

  it('matches names case-sensitively', () => {
    expect(refusal({ Nickname: 'Ada' })).toMatchObject({
      reason: 'unknown',
      field: 'custom_attributes.Nickname',
    });
  });

  it('refuses null for an unknown name', () => {
    expect(refusal({ shoe_size: null })).toMatchObject({ reason: 'unknown' });
  });

  it('refuses a write to an archived attribute', () => {
    expect(refusal({ legacy: 'x' })).toMatchObject({
      code: 'parameter_invalid',
      field: 'custom_attributes.legacy',
      reason: 'archived',
    });
  });

  it.each([
    ['nickname', 42],
    ['nickname', true],
    ['seats', 2.5],
    ['seats', '3'],
    ['score', '2.5'],
    ['score', Number.NaN],
    ['paid', 'true'],
    ['paid', 1],
    ['renews_at', '2024-01-01'],
    ['renews_at', 1.5],
    ['renews_at', -1],
    // Past year 9999: no search could ask for it.
    ['renews_at', 253_402_300_800],
    ['plan', 1],
    ['nickname', { nested: true }],
    ['nickname', ['a']],
  ])('refuses %s = %p as the wrong type', (name, value) => {
    expect(refusal({ [name]: value })).toMatchObject({
      code: 'parameter_invalid',
      field: `custom_attributes.${name}`,
      reason: 'wrong_type',
    });
  });

  it('refuses a value outside the options with 422 data_invalid', () => {
    expect(refusal({ plan: 'enterprise' })).toMatchObject({
      code: 'data_invalid',
      field: 'custom_attributes.plan',
      reason: 'not_an_option',
    });
  });

  it('refuses a string over 255 characters with 422 data_invalid', () => {
    expect(refusal({ nickname: 'x'.repeat(256) })).toMatchObject({
      code: 'data_invalid',
      field: 'custom_attributes.nickname',
      reason: 'too_long',
    });
  });

  it('names the first offending attribute in write order', () => {
    expect(refusal({ nickname: 'ok', seats: 'many', plan: 'enterprise' })).toMatchObject({
      field: 'custom_attributes.seats',
    });
  });

  it('reserves every standard contact field name', () => {
    for (const name of STANDARD_ATTRIBUTE_NAMES)
      expect(RESERVED_CONTACT_ATTRIBUTE_NAMES.has(name)).toBe(true);
  });
});
