import { FORBIDDEN_NAME_CHARACTERS } from './data-attribute.errors';
import {
  AttributeNameTaken,
  DataAttributeNotFound,
  DataTypeUnchangeable,
  InvalidAttributeName,
  InvalidDataType,
  InvalidDescription,
  InvalidModel,
  InvalidOptions,
  TooManyDataAttributes,
  UnsupportedModel,
} from './data-attribute.errors';
import type { CreateDataAttribute, UpdateDataAttribute } from './data-attribute.commands';
import type { DataAttributeEvent } from './data-attribute.events';
import { MAX_DESCRIPTION_CHARACTERS, MAX_OPTIONS } from './data-attribute.types';
import {
  T0,
  archived,
  created,
  given,
  manyCreated,
  workspaceId,
} from './data-attribute.test-fixtures';

const now = T0 + 100;

const create = (data: Partial<CreateDataAttribute['data']> = {}): CreateDataAttribute => ({
  type: 'CreateDataAttribute',
  data: { workspaceId, model: 'contact', name: 'plan', data_type: 'string', ...data },
  now,
});

const update = (
  id: number,
  data: Omit<Partial<UpdateDataAttribute['data']>, 'id'> = {},
): UpdateDataAttribute => ({
  type: 'UpdateDataAttribute',
  data: { workspaceId, id, ...data },
  now,
});

describe('data attribute decider', () => {
  describe('CreateDataAttribute', () => {
    it('defines the first attribute of a workspace with id 1, labelled by its name', () => {
      given([])
        .when(create({ description: 'Billing plan', messenger_writable: true }))
        .then([
          created(1, 'plan', {
            description: 'Billing plan',
            messenger_writable: true,
            created_at: now,
          }),
        ]);
    });

    it('gives increasing ids, counting archived attributes too', () => {
      given([created(1, 'a'), created(2, 'b'), archived(2)])
        .when(create({ name: 'c', data_type: 'integer' }))
        .then([created(3, 'c', { data_type: 'integer', created_at: now })]);
    });

    it.each([
      ['string', 'string'],
      ['integer', 'integer'],
      ['float', 'float'],
      ['boolean', 'boolean'],
      ['date', 'date'],
      ['datetime', 'date'],
    ] as const)('accepts data_type %s and stores it as %s', (requested, stored) => {
      given([])
        .when(create({ data_type: requested }))
        .then([created(1, 'plan', { data_type: stored, created_at: now })]);
    });

    it('makes a list attribute from data_type options', () => {
      given([])
        .when(create({ data_type: 'options', options: ['free', 'pro'] }))
        .then([created(1, 'plan', { options: ['free', 'pro'], created_at: now })]);
    });

    it('makes a list attribute from a string with options (the 2.14 SDK shape)', () => {
      given([])
        .when(create({ data_type: 'string', options: ['free', 'pro', 'team'] }))
        .then([created(1, 'plan', { options: ['free', 'pro', 'team'], created_at: now })]);
    });

    it('treats names case-sensitively', () => {
      given([created(1, 'plan')])
        .when(create({ name: 'Plan' }))
        .then([created(2, 'Plan', { created_at: now })]);
    });

    it('allows spaces, hyphens, underscores and non-ASCII letters in names', () => {
      given([])
        .when(create({ name: 'The One-Ring_ü 2' }))
        .then([created(1, 'The One-Ring_ü 2', { created_at: now })]);
    });

    it('refuses a model that is neither contact nor company', () => {
      given([])
        .when(create({ model: 'conversation' }))
        .thenThrows(InvalidModel, { code: 'parameter_invalid', field: 'model' });
    });

    it('refuses company attributes: companies do not exist here', () => {
      given([])
        .when(create({ model: 'company' }))
        .thenThrows(UnsupportedModel, { code: 'data_invalid', field: 'model' });
    });

    it.each([...FORBIDDEN_NAME_CHARACTERS].map((character) => [character]))(
      'refuses a name containing %s',
      (character) => {
        given([])
          .when(create({ name: `pl${character}an` }))
          .thenThrows(InvalidAttributeName, { code: 'parameter_invalid', field: 'name' });
      },
    );

    it('refuses a blank name', () => {
      given([])
        .when(create({ name: '  ' }))
        .thenThrows(InvalidAttributeName, { field: 'name' });
    });

    it('refuses a name with spaces around it, and takes one with spaces inside', () => {
      for (const name of ['plan ', ' plan', '\tplan']) {
        given([]).when(create({ name })).thenThrows(InvalidAttributeName, {
          field: 'name',
          message: 'The name of a data attribute cannot start or end with spaces',
        });
      }
      given([])
        .when(create({ name: 'pricing plan' }))
        .then([created(1, 'pricing plan', { created_at: now })]);
    });

    it('refuses a name over 255 characters, counting an emoji as one', () => {
      given([])
        .when(create({ name: 'n'.repeat(256) }))
        .thenThrows(InvalidAttributeName, { field: 'name' });
      given([])
        .when(create({ name: '😀'.repeat(255) }))
        .then([expect.objectContaining({ type: 'DataAttributeCreated' }) as DataAttributeEvent]);
    });

    it('refuses a name already taken by a custom attribute', () => {
      given([created(1, 'plan')])
        .when(create({ data_type: 'integer' }))
        .thenThrows(AttributeNameTaken, { code: 'parameter_invalid', field: 'name' });
    });

    it('refuses the name of an archived attribute: names stay taken', () => {
      given([created(1, 'plan'), archived(1)])
        .when(create())
        .thenThrows(AttributeNameTaken, { field: 'name' });
    });

    it.each([
      ['email'],
      ['name'],
      ['external_id'],
      ['created_at'],
      ['location'],
      ['custom_attributes'],
      // Listed by GET /data_attributes by these names (full_name location.country, …).
      ['country'],
      ['region'],
      ['city'],
      // Top-level keys of Intercom's contact object that this service does not keep.
      ['archived'],
      ['enabled_push_messaging'],
      ['android_app_name'],
      ['ios_device'],
      ['last_email_opened_at'],
      ['last_email_clicked_at'],
      ['opted_in_subscription_types'],
    ])('refuses the contact field name %s', (name) => {
      given([]).when(create({ name })).thenThrows(AttributeNameTaken, { field: 'name' });
    });

    // No request may carry these keys, so such an attribute could never be written.
    it.each([...Object.getOwnPropertyNames(Object.prototype), 'prototype'].map((name) => [name]))(
      'refuses %s, a key no request body may hold',
      (name) => {
        given([])
          .when(create({ name }))
          .thenThrows(InvalidAttributeName, { code: 'parameter_invalid', field: 'name' });
      },
    );

    it.each([['line\nbreak'], ['tab\tinside'], ['bell\u0007'], ['del\u007f'], ['next\u0085line']])(
      'refuses a name holding a control character (%j)',
      (name) => {
        given([]).when(create({ name })).thenThrows(InvalidAttributeName, {
          field: 'name',
          message: 'The name of a data attribute cannot contain control characters',
        });
      },
    );

    it('refuses an unknown data type', () => {
      given([])
        .when(create({ data_type: 'mithril' }))
        .thenThrows(InvalidDataType, { code: 'parameter_invalid', field: 'data_type' });
    });

    it('refuses a list attribute without options', () => {
      given([])
        .when(create({ data_type: 'options' }))
        .thenThrows(InvalidOptions, { reason: 'too_few', field: 'options' });
    });

    it('refuses a list with a single option', () => {
      given([])
        .when(create({ data_type: 'options', options: ['1-10'] }))
        .thenThrows(InvalidOptions, {
          code: 'parameter_invalid',
          field: 'options',
          reason: 'too_few',
        });
    });

    it('refuses an empty options list on a string', () => {
      given([])
        .when(create({ options: [] }))
        .thenThrows(InvalidOptions, { reason: 'too_few' });
    });

    it('refuses duplicate options', () => {
      given([])
        .when(create({ options: ['a', 'a'] }))
        .thenThrows(InvalidOptions, { reason: 'duplicate' });
    });

    it('refuses a blank option', () => {
      given([])
        .when(create({ options: ['a', ' '] }))
        .thenThrows(InvalidOptions, { reason: 'blank' });
    });

    it('refuses an option no contact could hold (over 255 characters, counting an emoji as one)', () => {
      given([])
        .when(create({ options: ['short', 'o'.repeat(256)] }))
        .thenThrows(InvalidOptions, {
          code: 'parameter_invalid',
          field: 'options',
          reason: 'too_long',
        });
      given([])
        .when(create({ options: ['short', '😀'.repeat(255)] }))
        .then([created(1, 'plan', { options: ['short', '😀'.repeat(255)], created_at: now })]);
    });

    it(`takes up to ${MAX_OPTIONS} options, and refuses more`, () => {
      const options = Array.from({ length: MAX_OPTIONS }, (_, index) => `option ${index}`);
      given([])
        .when(create({ options }))
        .then([created(1, 'plan', { options, created_at: now })]);
      given([])
        .when(create({ options: [...options, 'one more'] }))
        .thenThrows(InvalidOptions, { field: 'options', reason: 'too_many' });
    });

    it(`takes a description of up to ${MAX_DESCRIPTION_CHARACTERS} characters (an emoji counting as one), and refuses a longer one`, () => {
      const longest = '😀'.repeat(MAX_DESCRIPTION_CHARACTERS);
      given([])
        .when(create({ description: longest }))
        .then([created(1, 'plan', { description: longest, created_at: now })]);
      given([])
        .when(create({ description: `${longest}.` }))
        .thenThrows(InvalidDescription, { code: 'parameter_invalid', field: 'description' });
    });

    it('refuses options on a type other than string', () => {
      given([])
        .when(create({ data_type: 'integer', options: ['1', '2'] }))
        .thenThrows(InvalidOptions, { reason: 'not_a_list_attribute', field: 'options' });
    });

    it('allows the 250th live attribute', () => {
      given(manyCreated(249))
        .when(create())
        .then([created(250, 'plan', { created_at: now })]);
    });

    it('refuses a 251st live attribute', () => {
      given(manyCreated(250))
        .when(create())
        .thenThrows(TooManyDataAttributes, { code: 'data_invalid', field: 'name' });
    });

    it('does not count archived attributes against the limit', () => {
      given([...manyCreated(250), archived(7)])
        .when(create())
        .then([created(251, 'plan', { created_at: now })]);
    });
  });

  describe('UpdateDataAttribute', () => {
    const list = created(1, 'plan', { options: ['free', 'pro'] });

    it('records the changed fields only', () => {
      given([created(1, 'plan', { description: 'old', messenger_writable: false })])
        .when(update(1, { description: 'new', messenger_writable: false }))
        .then([
          {
            type: 'DataAttributeUpdated',
            data: { workspaceId, id: 1, changes: { description: 'new' }, updated_at: now },
          },
        ]);
    });

    it('records nothing when nothing changes', () => {
      given([list])
        .when(update(1, { options: ['free', 'pro'], messenger_writable: false }))
        .thenNothing();
    });

    it('replaces the options of a list attribute', () => {
      given([list])
        .when(update(1, { options: ['free', 'pro', 'team'] }))
        .then([
          {
            type: 'DataAttributeUpdated',
            data: {
              workspaceId,
              id: 1,
              changes: { options: ['free', 'pro', 'team'] },
              updated_at: now,
            },
          },
        ]);
    });

    it('archives', () => {
      given([list])
        .when(update(1, { archived: true }))
        .then([{ type: 'DataAttributeArchived', data: { workspaceId, id: 1, archived_at: now } }]);
    });

    it('records nothing when archiving an archived attribute', () => {
      given([list, archived(1)])
        .when(update(1, { archived: true }))
        .thenNothing();
    });

    it('changes and archives in one update', () => {
      given([list])
        .when(update(1, { description: 'gone', archived: true }))
        .then([
          {
            type: 'DataAttributeUpdated',
            data: { workspaceId, id: 1, changes: { description: 'gone' }, updated_at: now },
          },
          { type: 'DataAttributeArchived', data: { workspaceId, id: 1, archived_at: now } },
        ]);
    });

    it('unarchives', () => {
      given([list, archived(1)])
        .when(update(1, { archived: false }))
        .then([
          { type: 'DataAttributeUnarchived', data: { workspaceId, id: 1, unarchived_at: now } },
        ]);
    });

    it('refuses to unarchive beyond the limit', () => {
      given([...manyCreated(250), archived(3), created(251, 'plan')])
        .when(update(3, { archived: false }))
        .thenThrows(TooManyDataAttributes, { code: 'data_invalid', field: 'archived' });
    });

    it('accepts the attribute’s own data type (and its create-time aliases)', () => {
      given([list])
        .when(update(1, { data_type: 'string' }))
        .thenNothing();
      given([list])
        .when(update(1, { data_type: 'options' }))
        .thenNothing();
      given([created(1, 'renewal', { data_type: 'date' })])
        .when(update(1, { data_type: 'datetime' }))
        .thenNothing();
    });

    it('refuses a change of data type', () => {
      given([list])
        .when(update(1, { data_type: 'integer' }))
        .thenThrows(DataTypeUnchangeable, { code: 'parameter_invalid', field: 'data_type' });
    });

    it('still updates and archives an attribute whose name a create would now refuse', () => {
      given([created(1, 'country'), created(2, 'toString')])
        .when(update(1, { description: 'where billed', archived: true }))
        .then([
          {
            type: 'DataAttributeUpdated',
            data: { workspaceId, id: 1, changes: { description: 'where billed' }, updated_at: now },
          },
          { type: 'DataAttributeArchived', data: { workspaceId, id: 1, archived_at: now } },
        ]);
      given([created(1, 'country'), created(2, 'toString')])
        .when(update(2, { archived: true }))
        .then([{ type: 'DataAttributeArchived', data: { workspaceId, id: 2, archived_at: now } }]);
    });

    it('refuses an unknown id', () => {
      given([list])
        .when(update(2, { description: 'x' }))
        .thenThrows(DataAttributeNotFound, {
          code: 'field_not_found',
          field: 'data_attribute_id',
          id: 2,
        });
    });

    it('refuses fewer than two options', () => {
      given([list])
        .when(update(1, { options: ['free'] }))
        .thenThrows(InvalidOptions, {
          code: 'parameter_invalid',
          field: 'options',
          reason: 'too_few',
        });
    });

    it('refuses duplicate options', () => {
      given([list])
        .when(update(1, { options: ['free', 'free'] }))
        .thenThrows(InvalidOptions, { reason: 'duplicate' });
    });

    it('refuses new options over 255 characters, or too many', () => {
      given([list])
        .when(update(1, { options: ['free', 'p'.repeat(256)] }))
        .thenThrows(InvalidOptions, { field: 'options', reason: 'too_long' });
      given([list])
        .when(
          update(1, {
            options: Array.from({ length: MAX_OPTIONS + 1 }, (_, index) => `option ${index}`),
          }),
        )
        .thenThrows(InvalidOptions, { field: 'options', reason: 'too_many' });
    });

    it(`refuses a new description over ${MAX_DESCRIPTION_CHARACTERS} characters, and keeps taking one stored before the bound`, () => {
      const stored = created(1, 'plan', { description: 'd'.repeat(5000) });
      given([stored])
        .when(update(1, { description: 'd'.repeat(MAX_DESCRIPTION_CHARACTERS + 1) }))
        .thenThrows(InvalidDescription, { code: 'parameter_invalid', field: 'description' });
      given([stored])
        .when(update(1, { description: 'd'.repeat(5000), messenger_writable: true }))
        .then([
          {
            type: 'DataAttributeUpdated',
            data: { workspaceId, id: 1, changes: { messenger_writable: true }, updated_at: now },
          },
        ]);
      given([stored])
        .when(update(1, { description: 'short now' }))
        .then([
          {
            type: 'DataAttributeUpdated',
            data: { workspaceId, id: 1, changes: { description: 'short now' }, updated_at: now },
          },
        ]);
    });

    it('refuses options on an attribute that is not a list', () => {
      given([created(1, 'nickname')])
        .when(update(1, { options: ['a', 'b'] }))
        .thenThrows(InvalidOptions, { reason: 'not_a_list_attribute' });
    });
  });
});
