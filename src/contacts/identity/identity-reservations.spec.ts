import { SqliteEventStore } from '../../infrastructure/event-store/sqlite/sqlite-event-store';
import { ManualClock } from '../../shared/clock';
import { ContactAlreadyExists } from '../domain/contact.errors';
import { IdentityReservations } from './identity-reservations';

describe('IdentityReservations', () => {
  const claim = { kind: 'external_id' as const, value: 'ext-1' };
  let store: SqliteEventStore;
  let clock: ManualClock;
  let reservations: IdentityReservations;

  beforeEach(() => {
    store = SqliteEventStore.open({ file: ':memory:' });
    clock = new ManualClock(Date.now());
    reservations = new IdentityReservations(store, clock);
  });
  afterEach(() => store.close());

  it('a claim by a contact that never got the value is taken over once older than the grace period', async () => {
    await reservations.claimAll('w', 'ghost', [claim]);
    await expect(reservations.claimAll('w', 'other', [claim])).rejects.toBeInstanceOf(
      ContactAlreadyExists,
    );
    clock.advance(31_000);
    await reservations.claimAll('w', 'other', [claim]);
    expect(await reservations.holderOf('w', claim)).toBe('other');
  });
});
