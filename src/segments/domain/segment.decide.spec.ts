import {
  InvalidSearchValue,
  MalformedSearchRequest,
  OperatorNotAllowed,
  UnknownSearchField,
} from '../../contacts/search/contact-search.errors';
import type { JsonValue } from '../../contacts/domain/contact.attributes';
import type { SearchFieldType } from '../../contacts/search/contact-search.fields';
import { deciderSpecification } from '../../shared/testing/decider-specification';
import { segmentDecider } from './segment.decider';
import {
  InvalidPersonType,
  InvalidSegmentName,
  SegmentNameRequired,
  SegmentAlreadyExists,
  SegmentFieldInRule,
  SegmentNotFound,
} from './segment.errors';
import type { SegmentCreated, SegmentEvent } from './segment.events';

const given = deciderSpecification(segmentDecider);
const ids = { segmentId: '65f000000000000000000001', workspaceId: 'ws-1' } as const;
const T0 = 1_700_000_000;
const types: Readonly<Record<string, SearchFieldType>> = { plan: 'string', trial_ends: 'date' };
const customAttributeType = (name: string): SearchFieldType | undefined => types[name];

const recent = { field: 'signed_up_at', operator: 'less_than_days_ago', value: 7 };
const onPlan: JsonValue = {
  operator: 'AND',
  value: [
    { field: 'custom_attributes.plan', operator: '=', value: 'pro' },
    { field: 'custom_attributes.trial_ends', operator: 'exists' },
  ],
};

const created: SegmentCreated = {
  type: 'SegmentCreated',
  data: {
    ...ids,
    name: 'Recent sign-ups',
    personType: 'user',
    rule: recent,
    attributeTypes: {},
    timeZone: 'UTC',
    ruleVersion: 1,
    createdAt: T0,
  },
};

/** As stored before rules recorded their time zone. */
const { timeZone: _zone, ...createdBeforeTimeZones } = created.data;

const create = (
  overrides: Partial<{ name: unknown; personType: unknown; rule: unknown }> = {},
) => ({
  type: 'CreateSegment' as const,
  data: {
    ...ids,
    name: 'Recent sign-ups',
    personType: 'user',
    rule: recent,
    customAttributeType,
    timeZone: 'UTC',
    ...overrides,
  },
  now: T0,
});

const changeRule = (rule: unknown, personType?: unknown, timeZone = 'UTC') => ({
  type: 'ChangeSegmentRule' as const,
  data: {
    ...ids,
    rule,
    ...(personType !== undefined ? { personType } : {}),
    customAttributeType,
    timeZone,
  },
  now: T0 + 60,
});

describe('segment decider', () => {
  describe('CreateSegment', () => {
    it('records the rule as written, at rule version 1', () => {
      given([]).when(create()).then([created]);
    });

    it('keeps the types of the custom attributes the rule names', () => {
      given([])
        .when(create({ rule: onPlan, personType: 'all' }))
        .then([
          {
            type: 'SegmentCreated',
            data: {
              ...ids,
              name: 'Recent sign-ups',
              personType: 'all',
              rule: onPlan,
              attributeTypes: { plan: 'string', trial_ends: 'date' },
              timeZone: 'UTC',
              ruleVersion: 1,
              createdAt: T0,
            },
          },
        ]);
    });

    it('defaults the person type to user and trims the name', () => {
      given([])
        .when(create({ name: '  Recent sign-ups ', personType: undefined }))
        .then([created]);
    });

    it('refuses a rule with the search errors', () => {
      given([])
        .when(create({ rule: { field: 'nope', operator: '=', value: 'x' } }))
        .thenThrows(UnknownSearchField, { field: 'rule.field', code: 'parameter_invalid' });
      given([])
        .when(create({ rule: { field: 'email', operator: 'less_than_days_ago', value: 3 } }))
        .thenThrows(OperatorNotAllowed, { field: 'rule.operator' });
      given([])
        .when(
          create({ rule: { field: 'signed_up_at', operator: 'more_than_days_ago', value: -1 } }),
        )
        .thenThrows(InvalidSearchValue, { field: 'rule.value' });
    });

    it('refuses segment_id inside a rule', () => {
      given([])
        .when(create({ rule: { field: 'segment_id', operator: '=', value: 'abc' } }))
        .thenThrows(SegmentFieldInRule, { field: 'rule.field', path: 'rule.field' });
    });

    it('refuses a blank name and an unknown person type', () => {
      given([])
        .when(create({ name: '  ' }))
        .thenThrows(InvalidSegmentName);
      given([])
        .when(create({ name: undefined }))
        .thenThrows(SegmentNameRequired, { code: 'parameter_not_found', field: 'name' });
      given([])
        .when(create({ personType: 'lead' }))
        .thenThrows(InvalidPersonType);
    });

    it('counts a name in characters, as contact and data attribute names are: 255 emoji fit', () => {
      const name = '😀'.repeat(255);
      given([])
        .when(create({ name }))
        .then([{ ...created, data: { ...created.data, name } }]);
      given([])
        .when(create({ name: `${name}😀` }))
        .thenThrows(InvalidSegmentName, { field: 'name' });
    });

    it('says what a refused person type is: an out-of-range number is no null', () => {
      const refusal = (personType: unknown) =>
        `person_type must be 'user', 'contact' or 'all', not ${personType as string}`;
      for (const [personType, described] of [
        ['lead', '"lead"'],
        [3, '3'],
        [null, 'null'],
        [false, 'false'],
        // 1e309 in a body: JSON.parse reads it as Infinity, which JSON.stringify would call null.
        [JSON.parse('1e309') as number, 'an out-of-range number'],
        [JSON.parse('-1e309') as number, 'an out-of-range number'],
        [['user'], 'an array'],
        [{ type: 'user' }, 'an object'],
      ] as const)
        given([])
          .when(create({ personType }))
          .thenThrows(InvalidPersonType, { field: 'person_type', message: refusal(described) });
    });

    it('is a no-op when retried with the same body, refused with another', () => {
      given([created]).when(create()).thenNothing();
      given([created])
        .when(create({ name: 'Other' }))
        .thenThrows(SegmentAlreadyExists);
    });
  });

  describe('RenameSegment', () => {
    it('records the new name', () => {
      given([created])
        .when({ type: 'RenameSegment', data: { ...ids, name: 'New' }, now: T0 + 5 })
        .then([{ type: 'SegmentRenamed', data: { ...ids, name: 'New', renamedAt: T0 + 5 } }]);
    });

    it('records nothing for the same name; refuses an unknown segment', () => {
      given([created])
        .when({ type: 'RenameSegment', data: { ...ids, name: 'Recent sign-ups' }, now: T0 })
        .thenNothing();
      given([])
        .when({ type: 'RenameSegment', data: { ...ids, name: 'New' }, now: T0 })
        .thenThrows(SegmentNotFound);
    });
  });

  describe('ChangeSegmentRule', () => {
    it('raises the rule version', () => {
      given([created])
        .when(changeRule(onPlan))
        .then([
          {
            type: 'SegmentRuleChanged',
            data: {
              ...ids,
              personType: 'user',
              rule: onPlan,
              attributeTypes: { plan: 'string', trial_ends: 'date' },
              timeZone: 'UTC',
              ruleVersion: 2,
              changedAt: T0 + 60,
            },
          },
        ]);
    });

    it('counts from the last version and treats a person type change as a rule change', () => {
      const changed = segmentDecider.decide(
        changeRule(onPlan),
        segmentDecider.evolve(segmentDecider.initialState(), created),
      );
      given([created, ...changed])
        .when(changeRule(undefined, 'contact'))
        .then([
          {
            type: 'SegmentRuleChanged',
            data: {
              ...ids,
              personType: 'contact',
              rule: onPlan,
              attributeTypes: { plan: 'string', trial_ends: 'date' },
              timeZone: 'UTC',
              ruleVersion: 3,
              changedAt: T0 + 60,
            },
          },
        ]);
    });

    it('records the workspace time zone the rule counts days in: the same rule saved under another zone is a new version', () => {
      given([created])
        .when(changeRule(recent, undefined, 'Pacific/Auckland'))
        .then([
          {
            type: 'SegmentRuleChanged',
            data: {
              ...ids,
              personType: 'user',
              rule: recent,
              attributeTypes: {},
              timeZone: 'Pacific/Auckland',
              ruleVersion: 2,
              changedAt: T0 + 60,
            },
          },
        ]);
    });

    it('reads a rule stored before time zones were recorded as counting in UTC', () => {
      given([{ type: 'SegmentCreated', data: createdBeforeTimeZones }])
        .when(changeRule(recent))
        .thenNothing();
    });

    it('records nothing for the same rule; refuses a bad one', () => {
      given([created]).when(changeRule(recent)).thenNothing();
      given([created])
        .when(changeRule({ operator: 'XOR', value: [] }))
        .thenThrows(MalformedSearchRequest, { field: 'rule.operator' });
    });
  });

  describe('UpdateSegment', () => {
    const update = (changes: Partial<{ name: unknown; personType: unknown; rule: unknown }>) => ({
      type: 'UpdateSegment' as const,
      data: { ...ids, ...changes, customAttributeType, timeZone: 'UTC' },
      now: T0 + 60,
    });

    it('records the rule change, then the rename', () => {
      given([created])
        .when(update({ name: 'On a plan', personType: 'all', rule: onPlan }))
        .then([
          {
            type: 'SegmentRuleChanged',
            data: {
              ...ids,
              personType: 'all',
              rule: onPlan,
              attributeTypes: { plan: 'string', trial_ends: 'date' },
              timeZone: 'UTC',
              ruleVersion: 2,
              changedAt: T0 + 60,
            },
          },
          { type: 'SegmentRenamed', data: { ...ids, name: 'On a plan', renamedAt: T0 + 60 } },
        ]);
    });

    it('refuses the whole update for a bad name, a bad rule or a bad person type', () => {
      given([created])
        .when(update({ name: '', personType: 'contact' }))
        .thenThrows(InvalidSegmentName);
      given([created])
        .when(update({ name: true, rule: onPlan }))
        .thenThrows(InvalidSegmentName);
      given([created])
        .when(update({ name: 'New', rule: { operator: 'XOR', value: [] } }))
        .thenThrows(MalformedSearchRequest, { field: 'rule.operator' });
      given([created])
        .when(update({ name: 'New', personType: 'lead' }))
        .thenThrows(InvalidPersonType);
    });

    it('records nothing when nothing changes; refuses an unknown segment', () => {
      given([created])
        .when(update({ name: 'Recent sign-ups', rule: recent }))
        .thenNothing();
      given([]).when(update({})).thenThrows(SegmentNotFound);
    });
  });

  describe('DeleteSegment', () => {
    const deleteIt = { type: 'DeleteSegment' as const, data: ids, now: T0 + 9 };

    it('records the deletion once', () => {
      given([created])
        .when(deleteIt)
        .then([{ type: 'SegmentDeleted', data: { ...ids, deletedAt: T0 + 9 } }]);
      given([created, { type: 'SegmentDeleted', data: { ...ids, deletedAt: T0 + 9 } }])
        .when(deleteIt)
        .thenThrows(SegmentNotFound);
    });

    it('refuses every command on a deleted segment', () => {
      const gone: SegmentEvent = { type: 'SegmentDeleted', data: { ...ids, deletedAt: T0 + 9 } };
      given([created, gone]).when(changeRule(onPlan)).thenThrows(SegmentNotFound);
      given([created, gone]).when(create()).thenThrows(SegmentAlreadyExists);
    });
  });
});
