import { ContactSearchError } from './contact-search.errors';
import type { SearchFieldType } from './contact-search.fields';
import {
  MAX_LIST_VALUES,
  MAX_QUERY_VALUES,
  parseContactSearchRequest,
  parseSearchQuery,
  type SearchParseOptions,
} from './contact-search.parse';
import { dayContaining } from './time-zone-days';

const attributes: Readonly<Record<string, SearchFieldType>> = {
  plan: 'string',
  seats: 'integer',
  score: 'float',
  vip: 'boolean',
  renewal: 'date',
};
const options: SearchParseOptions = { customAttributeType: (name) => attributes[name] };
const ruleOptions: SearchParseOptions = { ...options, allowRuleOperators: true };

function refusal(
  body: unknown,
  parseOptions: SearchParseOptions = options,
): { code: string; field: string; message: string } {
  try {
    parseContactSearchRequest(body, parseOptions);
  } catch (error) {
    if (error instanceof ContactSearchError)
      return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

const filter = (field: string, operator: string, value?: unknown): Record<string, unknown> =>
  value === undefined ? { field, operator } : { field, operator, value };
const query = (q: unknown): { query: unknown } => ({ query: q });
const group = (operator: string, value: unknown[]): Record<string, unknown> => ({
  operator,
  value,
});

describe('parseContactSearchRequest', () => {
  it('accepts a nested query and applies the defaults', () => {
    const request = parseContactSearchRequest(
      query(
        group('AND', [
          filter('email', '=', 'ada@example.com'),
          group('OR', [
            filter('custom_attributes.seats', '>', 3),
            filter('created_at', '<', '1577836800'),
          ]),
        ]),
      ),
      options,
    );
    expect(request.pagination).toEqual({ perPage: 50, startingAfter: undefined });
    expect(request.sort.field.name).toBe('created_at');
    expect(request.sort.order).toBe('descending');
    expect(request.query).toMatchObject({
      kind: 'group',
      operator: 'AND',
      value: [
        {
          kind: 'filter',
          field: { name: 'email', kind: 'standard' },
          operator: '=',
          value: 'ada@example.com',
        },
        {
          kind: 'group',
          operator: 'OR',
          value: [
            {
              field: { kind: 'custom', attribute: 'seats', type: 'integer' },
              operator: '>',
              value: 3,
            },
            { field: { name: 'created_at', type: 'date' }, operator: '<', value: 1577836800 },
          ],
        },
      ],
    });
  });

  it('reads sort and pagination', () => {
    const request = parseContactSearchRequest(
      {
        ...query(filter('role', '=', 'user')),
        sort: { field: 'custom_attributes.score', order: 'ascending' },
        pagination: { per_page: 150, starting_after: 'abc' },
      },
      options,
    );
    expect(request.sort).toMatchObject({ field: { attribute: 'score' }, order: 'ascending' });
    expect(request.pagination).toEqual({ perPage: 150, startingAfter: 'abc' });
    // A null order is one left out.
    const nullOrder = parseContactSearchRequest(
      { ...query(filter('role', '=', 'user')), sort: { field: 'name', order: null } },
      options,
    );
    expect(nullOrder.sort).toMatchObject({ field: { name: 'name' }, order: 'descending' });
  });

  it('accepts values of every type, including their text forms', () => {
    const parsed = (f: Record<string, unknown>) => parseSearchQuery(f, options);
    expect(parsed(filter('has_hard_bounced', '=', 'true'))).toMatchObject({ value: true });
    expect(parsed(filter('unsubscribed_from_emails', 'IN', [true, false]))).toMatchObject({
      value: [true, false],
    });
    expect(parsed(filter('custom_attributes.score', '<=', '2.5'))).toMatchObject({ value: 2.5 });
    expect(parsed(filter('custom_attributes.vip', 'NIN', [false]))).toMatchObject({
      value: [false],
    });
    expect(parsed(filter('custom_attributes.renewal', '=', 1577836800))).toMatchObject({
      value: 1577836800,
    });
    expect(parsed(filter('name', '=', null))).toMatchObject({ operator: '=', value: null });
    expect(parsed(filter('location.city', '$', 'don'))).toMatchObject({
      field: { column: 'location_city' },
    });
    // owner_id is an integer field (2.16 answers it as its digits, which search takes too).
    expect(parsed(filter('owner_id', 'IN', [123, '456']))).toMatchObject({ value: [123, 456] });
    expect(parsed(filter('owner_id', '>', '100'))).toMatchObject({ operator: '>', value: 100 });
    // Intercom's filter value is a string or an integer on any text field alike.
    expect(parsed(filter('external_id', '=', 123))).toMatchObject({ value: '123' });
    expect(parsed(filter('name', 'IN', ['Alice', -5]))).toMatchObject({ value: ['Alice', '-5'] });
    expect(parsed(filter('custom_attributes.plan', '~', 12))).toMatchObject({ value: '12' });
    expect(parsed(filter('segment_id', 'IN', ['s1', 's2']))).toMatchObject({
      field: { kind: 'segment' },
    });
  });

  it('accepts dates from the first second of year 1 to the last of year 9999, whose days exist in every zone', () => {
    for (const value of [-62_135_596_800, 253_402_300_799]) {
      const parsed = parseSearchQuery(filter('created_at', '=', value), options);
      expect(parsed).toMatchObject({ value });
      for (const timeZone of ['UTC', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
        const day = dayContaining(value, timeZone);
        expect(day.start).toBeLessThanOrEqual(value);
        expect(day.end).toBeGreaterThan(value);
      }
    }
  });

  it('accepts the rule operators only when asked to', () => {
    expect(
      parseSearchQuery(filter('signed_up_at', 'less_than_days_ago', 7), ruleOptions),
    ).toMatchObject({ value: 7 });
    expect(
      parseSearchQuery(
        filter('custom_attributes.renewal', 'more_than_days_ago', '30'),
        ruleOptions,
      ),
    ).toMatchObject({
      value: 30,
    });
    expect(parseSearchQuery(filter('email', 'exists'), ruleOptions)).toMatchObject({
      operator: 'exists',
    });
    expect(
      parseSearchQuery(filter('custom_attributes.plan', 'not_exists', null), ruleOptions),
    ).toMatchObject({
      operator: 'not_exists',
    });
    expect(parseSearchQuery(filter('event', 'has_done', 'purchase'), ruleOptions)).toEqual({
      kind: 'filter',
      field: { kind: 'event', name: 'event', type: 'string' },
      operator: 'has_done',
      value: 'purchase',
    });
    expect(
      parseSearchQuery(
        { ...filter('event', 'has_not_done', 'purchase'), within_days: '1.5' },
        ruleOptions,
      ),
    ).toMatchObject({ operator: 'has_not_done', value: 'purchase', withinDays: 1.5 });
  });

  describe('refuses', () => {
    it.each<[string, unknown, string, string]>([
      ['a body that is not an object', [1], 'parameter_invalid', 'body'],
      [
        'an unknown body parameter',
        { ...query(filter('id', '=', 'a')), page: 2 },
        'parameter_invalid',
        'page',
      ],
      ['a missing query', {}, 'parameter_not_found', 'query'],
      ['a query that is not an object', query('email = a'), 'parameter_invalid', 'query'],
      ['an unknown field', query(filter('nickname', '=', 'x')), 'parameter_invalid', 'query.field'],
      [
        'a text operator on owner_id, an integer field',
        query(filter('owner_id', '~', '1')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'a field name that is not a string',
        query(filter(7 as unknown as string, '=', 'x')),
        'parameter_invalid',
        'query.field',
      ],
      [
        'an unknown custom attribute',
        query(filter('custom_attributes.nope', '=', 'x')),
        'parameter_invalid',
        'query.field',
      ],
      [
        'an unknown key in a filter',
        query({ ...filter('email', '=', 'x'), extra: 1 }),
        'parameter_invalid',
        'query.extra',
      ],
      [
        'an empty key in a filter, named as JSON spells it',
        query({ ...filter('email', '=', 'x'), '': 1 }),
        'parameter_invalid',
        'query.""',
      ],
      [
        'a range operator on a string',
        query(filter('email', '>', 'a')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'contains on a date',
        query(filter('created_at', '~', '1')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        '!= on a date',
        query(filter('last_seen_at', '!=', 1)),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'a date after year 9999',
        query(filter('created_at', '>', 253_402_300_800)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a date before year 1',
        query(filter('custom_attributes.renewal', '=', -62_135_596_801)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a string value over 1,024 characters',
        query(filter('name', '~', 'x'.repeat(1_025))),
        'parameter_invalid',
        'query.value',
      ],
      [
        '>= on a date',
        query(filter('signed_up_at', '>=', 1)),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'IN on a date attribute',
        query(filter('custom_attributes.renewal', 'IN', [1])),
        'parameter_invalid',
        'query.operator',
      ],
      [
        '< on a boolean',
        query(filter('has_hard_bounced', '<', true)),
        'parameter_invalid',
        'query.operator',
      ],
      [
        '^ on a number',
        query(filter('custom_attributes.seats', '^', '1')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'an unknown operator',
        query(filter('email', 'LIKE', 'a')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'a rule operator in a search',
        query(filter('email', 'exists')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'the rule-only event field in a search',
        query(filter('event', 'has_done', 'purchase')),
        'parameter_invalid',
        'query.field',
      ],
      [
        'within_days in a search',
        query({ ...filter('email', '=', 'a'), within_days: 1 }),
        'parameter_invalid',
        'query.within_days',
      ],
      [
        'contains on segment_id',
        query(filter('segment_id', '~', 'a')),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'a fraction for a string',
        query(filter('email', '=', 5.5)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a boolean for a string',
        query(filter('email', '=', true)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a word for a date',
        query(filter('created_at', '>', 'yesterday')),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a fraction for a date',
        query(filter('created_at', '=', 1.5)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a fraction for an integer',
        query(filter('custom_attributes.seats', '=', 1.5)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a word for a float',
        query(filter('custom_attributes.score', '<', 'high')),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a word for a boolean',
        query(filter('custom_attributes.vip', '=', 'yes')),
        'parameter_invalid',
        'query.value',
      ],
      ['a missing value', query(filter('name', '=')), 'parameter_not_found', 'query.value'],
      [
        'IN without an array',
        query(filter('role', 'IN', 'user')),
        'parameter_invalid',
        'query.value',
      ],
      [
        'IN with an empty array',
        query(filter('role', 'IN', [])),
        'parameter_invalid',
        'query.value',
      ],
      [
        'IN with a value of the wrong type',
        query(filter('phone', 'NIN', ['1', false])),
        'parameter_invalid',
        'query.value[1]',
      ],
      [
        'a null segment id',
        query(filter('segment_id', '=', null)),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a group operator other than AND/OR',
        query(group('XOR', [filter('id', '=', 'a')])),
        'parameter_invalid',
        'query.operator',
      ],
      [
        'an operator deep in a group, by its path',
        query(
          group('AND', [
            filter('email', '=', 'a'),
            group('OR', [filter('email', '=', 'b'), filter('name', '<', 3)]),
          ]),
        ),
        'parameter_invalid',
        'query.value[1].value[1].operator',
      ],
      ['an empty group', query(group('AND', [])), 'parameter_invalid', 'query.value'],
      [
        'an unknown key in a group',
        query({ ...group('AND', [filter('id', '=', 'a')]), x: 1 }),
        'parameter_invalid',
        'query.x',
      ],
      [
        'a group nested three levels deep',
        query(group('AND', [group('OR', [group('AND', [filter('id', '=', 'a')])])])),
        'parameter_invalid',
        'query.value[0].value[0]',
      ],
      [
        'sixteen filters in one group',
        query(
          group(
            'OR',
            Array.from({ length: 16 }, (_, i) => filter('id', '=', `c${i}`)),
          ),
        ),
        'parameter_invalid',
        'query.value',
      ],
      [
        'a sort order other than ascending/descending',
        { ...query(filter('id', '=', 'a')), sort: { field: 'name', order: 'asc' } },
        'invalid_sort_order',
        'sort.order',
      ],
      [
        'an unknown sort field',
        { ...query(filter('id', '=', 'a')), sort: { field: 'nickname' } },
        'parameter_invalid',
        'sort.field',
      ],
      [
        'sorting by segment',
        { ...query(filter('id', '=', 'a')), sort: { field: 'segment_id' } },
        'parameter_invalid',
        'sort.field',
      ],
      [
        'an unknown sort key',
        { ...query(filter('id', '=', 'a')), sort: { field: 'name', direction: 'up' } },
        'parameter_invalid',
        'sort.direction',
      ],
      [
        'per_page above 150',
        { ...query(filter('id', '=', 'a')), pagination: { per_page: 151 } },
        'parameter_invalid',
        'pagination.per_page',
      ],
      [
        'per_page of zero',
        { ...query(filter('id', '=', 'a')), pagination: { per_page: 0 } },
        'parameter_invalid',
        'pagination.per_page',
      ],
      [
        'a cursor that is not a string',
        { ...query(filter('id', '=', 'a')), pagination: { starting_after: 5 } },
        'parameter_invalid',
        'pagination.starting_after',
      ],
      [
        'an unknown pagination key',
        { ...query(filter('id', '=', 'a')), pagination: { page: 2 } },
        'parameter_invalid',
        'pagination.page',
      ],
    ])('%s', (_title, body, code, field) => {
      expect(refusal(body)).toMatchObject({ code, field });
    });

    it('names the operator and the allowed ones', () => {
      expect(refusal(query(filter('created_at', '!=', 1))).message).toMatch(
        /'!='.*created_at.*supported: = < >/,
      );
    });

    it.each<[string, unknown, string]>([
      [
        'a relative operator on a string',
        filter('email', 'less_than_days_ago', 3),
        'query.operator',
      ],
      [
        'a negative number of days',
        filter('signed_up_at', 'more_than_days_ago', -1),
        'query.value',
      ],
      ['a value for exists', filter('phone', 'exists', 'x'), 'query.value'],
      // Counted in seconds in bigint columns: beyond 10,000 years no date is that far.
      [
        'a day count past 10,000 years',
        filter('signed_up_at', 'less_than_days_ago', 3_652_501),
        'query.value',
      ],
      [
        'a day count past every number',
        filter('last_seen_at', 'more_than_days_ago', 1e308),
        'query.value',
      ],
      [
        'within_days past 10,000 years',
        { ...filter('event', 'has_done', 'purchase'), within_days: 2e14 },
        'query.within_days',
      ],
      ['exists on segment_id', filter('segment_id', 'exists'), 'query.operator'],
      ['has_done on another field', filter('email', 'has_done', 'purchase'), 'query.operator'],
      ['= on event', filter('event', '=', 'purchase'), 'query.operator'],
      ['has_done without an event name', filter('event', 'has_done', ''), 'query.value'],
      ['a number as event name', filter('event', 'has_done', 3), 'query.value'],
      [
        'negative within_days',
        { ...filter('event', 'has_done', 'purchase'), within_days: -1 },
        'query.within_days',
      ],
      [
        'within_days on another operator',
        { ...filter('signed_up_at', 'exists'), within_days: 1 },
        'query.within_days',
      ],
    ])('in a rule: %s', (_title, rule, field) => {
      expect(refusal(query(rule), ruleOptions)).toMatchObject({ code: 'parameter_invalid', field });
    });
  });

  it("names a rule's refusals by their path under rule, not by the field searched", () => {
    const refusalOf = (rule: unknown) => {
      try {
        parseSearchQuery(rule, { ...ruleOptions, root: 'rule' });
      } catch (error) {
        if (error instanceof ContactSearchError) return { field: error.field, path: error.path };
        throw error;
      }
      throw new Error('expected a refusal');
    };
    expect(refusalOf(group('OR', [filter('email', 'exists'), filter('name', '<', 3)]))).toEqual({
      field: 'rule.value[1].operator',
      path: 'rule.value[1].operator',
    });
    expect(refusalOf(filter('nope', 'exists'))).toMatchObject({ field: 'rule.field' });
    expect(refusalOf(filter('signed_up_at', 'less_than_days_ago', -1))).toMatchObject({
      field: 'rule.value',
    });
  });

  describe("names a refusal of the query's shape by the path its message names", () => {
    const valid = filter('email', '=', 'a');
    const inSecondGroup = (second: unknown) => group('AND', [valid, second]);
    it.each<[string, unknown, string]>([
      ['an empty group', inSecondGroup(group('OR', [])), 'value[1].value'],
      ['a group whose value is no list', group('AND', 'notalist' as unknown as []), 'value'],
      ['a member that is a number', inSecondGroup(group('OR', [valid, 7])), 'value[1].value[1]'],
      ['a member that is null', inSecondGroup(group('OR', [valid, null])), 'value[1].value[1]'],
      [
        'a group operator other than AND/OR',
        inSecondGroup(group('NAND', [valid])),
        'value[1].operator',
      ],
      // The list at fault, as for an empty group or an IN list too long.
      [
        'a group of sixteen filters',
        inSecondGroup(
          group(
            'OR',
            Array.from({ length: 16 }, () => valid),
          ),
        ),
        'value[1].value',
      ],
      // The group that should not be there.
      [
        'a group nested three levels deep',
        inSecondGroup(group('OR', [valid, group('AND', [valid])])),
        'value[1].value[1]',
      ],
      [
        'an IN list too long',
        inSecondGroup(
          filter(
            'email',
            'IN',
            Array.from({ length: MAX_LIST_VALUES + 1 }, () => 'a'),
          ),
        ),
        'value[1].value',
      ],
    ])('%s', (_title, shape, path) => {
      for (const root of ['query', 'rule']) {
        let refused: unknown;
        try {
          parseSearchQuery(shape, { ...ruleOptions, root });
        } catch (error) {
          refused = error;
        }
        expect(refused).toBeInstanceOf(ContactSearchError);
        const { code, field, message } = refused as ContactSearchError;
        expect({ code, field }).toEqual({ code: 'parameter_invalid', field: `${root}.${path}` });
        // The whole path, not a longer one it begins.
        const named = `${root}.${path}`.replace(/[.[\]]/g, '\\$&');
        expect(message).toMatch(new RegExp(`${named}(?![.[])`));
      }
    });
  });

  it('refuses a filter without an operator as a parameter not found, by its path', () => {
    const withoutOperator = { field: 'email', value: 'a' };
    expect(refusal(query(withoutOperator))).toEqual({
      code: 'parameter_not_found',
      field: 'query.operator',
      message: expect.stringMatching(/^query\.operator is required/),
    });
    expect(
      refusal(query(group('OR', [filter('name', '=', 'x'), withoutOperator])), ruleOptions),
    ).toMatchObject({ code: 'parameter_not_found', field: 'query.value[1].operator' });
    // Named after the rule's own body field in a rule.
    expect(() => parseSearchQuery({ field: 'email' }, { ...ruleOptions, root: 'rule' })).toThrow(
      expect.objectContaining({ code: 'parameter_not_found', field: 'rule.operator' }),
    );
  });

  it('refuses a search without its query, a filter without its value and a group without its list as parameters not found, by their paths', () => {
    expect(refusal({})).toEqual({
      code: 'parameter_not_found',
      field: 'query',
      message: "'query' is required",
    });
    // Every operator that compares with a value lacks it, in a search and in a rule.
    for (const [withoutValue, parseOptions] of [
      [{ field: 'email', operator: '=' }, options],
      [{ field: 'email', operator: '!=' }, options],
      [{ field: 'role', operator: 'IN' }, options],
      [{ field: 'role', operator: 'NIN' }, options],
      [{ field: 'created_at', operator: '>' }, options],
      [{ field: 'custom_attributes.seats', operator: '<=' }, options],
      [{ field: 'name', operator: '~' }, options],
      [{ field: 'name', operator: '^' }, options],
      [{ field: 'segment_id', operator: '=' }, options],
      [{ field: 'signed_up_at', operator: 'less_than_days_ago' }, ruleOptions],
      [{ field: 'event', operator: 'has_done' }, ruleOptions],
      [{ field: 'event', operator: 'has_not_done', within_days: 3 }, ruleOptions],
    ] as const) {
      expect({ withoutValue, refused: refusal(query(withoutValue), parseOptions) }).toEqual({
        withoutValue,
        refused: {
          code: 'parameter_not_found',
          field: 'query.value',
          message: expect.stringMatching(/^query\.value is required/),
        },
      });
      const nested = query(group('AND', [filter('name', '=', 'x'), group('OR', [withoutValue])]));
      expect(refusal(nested, parseOptions)).toMatchObject({
        code: 'parameter_not_found',
        field: 'query.value[1].value[0].value',
      });
      expect(() => parseSearchQuery(withoutValue, { ...parseOptions, root: 'rule' })).toThrow(
        expect.objectContaining({ code: 'parameter_not_found', field: 'rule.value' }),
      );
    }
    // A group's list of filters, left out, is not found either.
    expect(refusal(query({ operator: 'AND' }))).toEqual({
      code: 'parameter_not_found',
      field: 'query.value',
      message: expect.stringMatching(/^query\.value is required/),
    });
    expect(
      refusal(query(group('OR', [filter('name', '=', 'x'), { operator: 'AND' }]))),
    ).toMatchObject({ code: 'parameter_not_found', field: 'query.value[1].value' });
    // Present but null or of the wrong type: invalid, not missing.
    for (const invalid of [
      { query: null },
      query(filter('role', 'IN', null)),
      query(filter('created_at', '>', null)),
      query(filter('name', '~', null)),
      query(filter('segment_id', '=', null)),
      query(filter('email', '=', false)),
      query({ operator: 'AND', value: null }),
    ]) {
      expect({ invalid, code: refusal(invalid).code }).toEqual({
        invalid,
        code: 'parameter_invalid',
      });
    }
    // What needs no value needs none; a null one on = is a search for no value.
    expect(() =>
      parseContactSearchRequest(query(filter('email', 'exists')), ruleOptions),
    ).not.toThrow();
    expect(() =>
      parseContactSearchRequest(query(filter('email', '=', null)), options),
    ).not.toThrow();
  });

  it('refuses a query holding more values in all than the limit, naming query', () => {
    const list = (count: number) => Array.from({ length: count }, (_, i) => `x${i}`);
    const lists = (count: number) =>
      Array.from({ length: count }, () => filter('external_id', 'IN', list(MAX_LIST_VALUES)));
    const atLimit = MAX_QUERY_VALUES / MAX_LIST_VALUES;
    expect(() =>
      parseContactSearchRequest(query(group('OR', lists(atLimit))), options),
    ).not.toThrow();
    const over = query(group('OR', [...lists(atLimit), filter('email', '=', 'one@more.test')]));
    expect(refusal(over)).toMatchObject({ code: 'parameter_invalid', field: 'query' });
    expect(refusal(over, ruleOptions)).toMatchObject({ code: 'parameter_invalid', field: 'query' });
  });

  it('allows a group of groups, each with fifteen filters', () => {
    const fifteen = Array.from({ length: 15 }, (_, i) => filter('external_id', '=', `x${i}`));
    expect(() =>
      parseContactSearchRequest(
        query(group('OR', [group('AND', fifteen), group('AND', fifteen)])),
        options,
      ),
    ).not.toThrow();
  });
});
