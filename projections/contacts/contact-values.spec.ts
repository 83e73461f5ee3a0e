import { CONTACT_COLUMNS, contactRowOf, contactValuesOf } from './contacts.table';
import {
  MEMBERSHIP_CONTACT_COLUMNS,
  membershipContactRowOf,
  membershipContactValuesOf,
} from '../segment-membership/segment-membership.tables';

/** A value of its own for every column, so that two columns read in each other's place show. */
const distinctValues = (columns: readonly string[]): string[] =>
  columns.map((column) => `value of ${column}`);

describe('a row read back as its values (what RowWrites compares)', () => {
  it('gives a contacts row its values in CONTACT_COLUMNS order, contactRowOf undone', () => {
    const values = distinctValues(CONTACT_COLUMNS);
    expect(contactValuesOf(contactRowOf(values))).toEqual(values);
  });

  it('gives a membership contact row its values in MEMBERSHIP_CONTACT_COLUMNS order', () => {
    const values = distinctValues(MEMBERSHIP_CONTACT_COLUMNS);
    expect(membershipContactValuesOf(membershipContactRowOf(values))).toEqual(values);
  });
});
