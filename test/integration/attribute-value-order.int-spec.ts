import { sql, type Kysely } from 'kysely';
import { tieOrder } from '../../src/data-attributes/queries/list-attribute-values/attribute-value-order';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

interface Db {
  tie_order_values: { value: string };
}

/** Values of the attribute-values read model (JSON text), in the order a numeric attribute lists them. */
const NUMBERS_FIRST = [
  '-2147483648',
  '-1.5e-300',
  '0',
  '5e-324',
  '3',
  // An owner_id's digits count as the integer the answer shows.
  '"9"',
  '"10"',
  '"0123"',
  '2147483648',
  '1e+308',
  // Anything else, which no numeric attribute is written, after every number, bytewise.
  '""',
  '"-5"',
  '"1234567890123456"',
  '"abc"',
  'false',
  'true',
];

/**
 * `tieOrder` on each read store: the order of the values of one count, and the cursor's "after",
 * which must agree with it for every value, or a page would repeat or skip values.
 */
describeOnReadStores('the order of attribute values held by as many contacts', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<Db>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<Db>;
    await db.schema
      .createTable('tie_order_values')
      .addColumn('value', dialect === 'postgres' ? sql`text collate "C"` : sql`text`)
      .execute();
    await db
      .insertInto('tie_order_values')
      .values([...NUMBERS_FIRST].reverse().map((value) => ({ value })))
      .execute();
  });
  afterAll(() => target.dispose());

  const ordered = async (dataType: 'integer' | 'string', after?: string) => {
    const ties = tieOrder(dialect, dataType);
    let query = db.selectFrom('tie_order_values').select('value');
    if (after !== undefined) query = query.where(ties.after(after));
    for (const key of ties.keys) query = query.orderBy(key);
    return (await query.execute()).map((row) => row.value);
  };

  it('orders numbers by value, before any other value, for a numeric attribute', async () => {
    expect(await ordered('integer')).toEqual(NUMBERS_FIRST);
  });

  it('places a cursor at each value before exactly the values after it', async () => {
    for (const [index, value] of NUMBERS_FIRST.entries()) {
      expect({ after: value, rest: await ordered('integer', value) }).toEqual({
        after: value,
        rest: NUMBERS_FIRST.slice(index + 1),
      });
    }
  });

  it('orders the values of other attributes bytewise', async () => {
    const bytewise = [...NUMBERS_FIRST].sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    expect(await ordered('string')).toEqual(bytewise);
    expect(await ordered('string', bytewise[3])).toEqual(bytewise.slice(4));
  });
});
