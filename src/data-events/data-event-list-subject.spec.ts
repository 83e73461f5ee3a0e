import { HttpProblem } from '../shared/http/intercom-error';
import { dataEventListSubjectOf, type SubjectQuery } from './data-event-list-subject';

describe('dataEventListSubjectOf', () => {
  const refusal = (query: SubjectQuery) => {
    try {
      dataEventListSubjectOf(query);
    } catch (error) {
      return error instanceof HttpProblem ? { status: error.status, errors: error.errors } : error;
    }
    throw new Error('accepted');
  };

  it('takes a filter as the parameter it holds, named by its path for refusals', () => {
    expect(dataEventListSubjectOf({ filter: '{"user_id":"u-1"}' })).toEqual({
      by: 'user_id',
      value: 'u-1',
      field: 'filter.user_id',
    });
    expect(dataEventListSubjectOf({ filter: '{"intercom_user_id":"abc"}' })).toMatchObject({
      by: 'intercom_user_id',
      value: 'abc',
    });
    expect(dataEventListSubjectOf({ filter: '{"email":"a@example.com"}' })).toMatchObject({
      by: 'email',
      value: 'a@example.com',
    });
  });

  it('takes exactly one parameter without a filter, as before', () => {
    expect(dataEventListSubjectOf({ email: 'a@example.com' })).toEqual({
      by: 'email',
      value: 'a@example.com',
      field: 'email',
    });
    expect(refusal({})).toEqual({
      status: 400,
      errors: [
        {
          code: 'parameter_not_found',
          message: 'One of intercom_user_id, user_id, email is required',
          field: 'intercom_user_id',
        },
      ],
    });
    expect(refusal({ user_id: 'u-1', email: 'a@example.com' })).toEqual({
      status: 400,
      errors: [expect.objectContaining({ code: 'parameter_invalid', field: 'email' })],
    });
  });

  it.each([
    ['text that is not JSON', 'u-1'],
    ['JSON cut short', '{"user_id":'],
    ['an array', '[{"user_id":"u-1"}]'],
    ['null', 'null'],
    ['a string', '"u-1"'],
    ['an empty object', '{}'],
    ['two identities', '{"user_id":"u-1","email":"a@example.com"}'],
    ['a key that names no contact', '{"external_id":"u-1"}'],
    ['a prototype key', '{"__proto__":"u-1"}'],
    ['a value that is not a string', '{"user_id":1}'],
    ['a value holding NUL', '{"user_id":"u\\u0000"}'],
    ['a value holding an unpaired surrogate', '{"user_id":"u\\ud800"}'],
  ])('refuses a filter of %s, naming filter', (_label, filter) => {
    expect(refusal({ filter })).toEqual({
      status: 400,
      errors: [expect.objectContaining({ code: 'parameter_invalid', field: 'filter' })],
    });
  });

  it('refuses a filter beside a parameter, even one naming the same contact', () => {
    for (const query of [
      { filter: '{"user_id":"u-1"}', user_id: 'u-1' },
      { filter: '{"user_id":"u-1"}', intercom_user_id: 'abc' },
    ])
      expect(refusal(query)).toEqual({
        status: 400,
        errors: [expect.objectContaining({ code: 'parameter_invalid', field: 'filter' })],
      });
  });
});
