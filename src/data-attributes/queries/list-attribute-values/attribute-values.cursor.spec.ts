import {
  decodeAttributeValuesCursor,
  encodeAttributeValuesCursor,
} from './attribute-values.cursor';
import { InvalidAttributeValuesCursor } from './attribute-values.errors';

describe('attribute values cursors', () => {
  it('continue the attribute they came from, and no other', () => {
    const cursor = encodeAttributeValuesCursor({ page: 2, count: 7, value: '"gold"' }, 'plan');
    expect(decodeAttributeValuesCursor(cursor, 'plan')).toEqual({
      page: 2,
      count: 7,
      value: '"gold"',
    });
    expect(() => decodeAttributeValuesCursor(cursor, 'tier')).toThrow(InvalidAttributeValuesCursor);
  });

  // The digest is no secret: a forged cursor's values must fit the columns they are compared with.
  it.each<[string, number, string]>([
    ['a count past the integer column', 2 ** 31, '"gold"'],
    ['a negative count', -1, '"gold"'],
    ['a NUL character in the value', 3, '"a\u0000"'],
    ['an unpaired surrogate in the value', 3, '"\ud800"'],
  ])('refuses a signed cursor holding %s', (_label, count, value) => {
    const forged = encodeAttributeValuesCursor({ page: 2, count, value }, 'plan');
    expect(() => decodeAttributeValuesCursor(forged, 'plan')).toThrow(InvalidAttributeValuesCursor);
  });
});
