import { EsdbEventStore } from './esdb-event-store';
import { encodePosition } from './esdb-mapping';

describe('EsdbEventStore.commitsAfter', () => {
  // The channel opens lazily: nothing listens there, and nothing is called.
  let store: EsdbEventStore;
  beforeAll(async () => {
    store = await EsdbEventStore.connect('esdb://127.0.0.1:1?tls=false');
  });
  afterAll(() => store.close());

  const at = (commit: bigint, prepare: bigint): bigint => encodePosition({ commit, prepare });

  it('compares commit positions only: a checkpoint of the head commit is not past it', () => {
    // A transaction's events share its commit position; a checkpoint the server reports at that
    // commit may carry another prepare position than the last event's.
    expect(store.commitsAfter(at(4096n, 4200n), at(4096n, 4150n))).toBe(false);
    expect(store.commitsAfter(at(4096n, 4096n), at(4096n, 4096n))).toBe(false);
    expect(store.commitsAfter(at(1024n, 1024n), at(4096n, 4096n))).toBe(false);
  });

  it('finds a checkpoint of a later commit past the head', () => {
    expect(store.commitsAfter(at(8192n, 8192n), at(4096n, 4200n))).toBe(true);
    expect(store.commitsAfter(at(128n, 128n), 0n)).toBe(true);
  });

  it("takes a catch-up checkpoint (prepare 0) just past the head's commit for the end of its record", () => {
    // EventStoreDB ends a catch-up at the post position of the last record it read, prepare 0.
    expect(store.commitsAfter(at(4096n + 512n, 0n), at(4096n, 4096n))).toBe(false);
    expect(store.commitsAfter(at(4096n + 16n * 1024n * 1024n, 0n), at(4096n, 4096n))).toBe(false);
    // Past it by more than any record: the log ends before it, replaced or cut.
    expect(store.commitsAfter(at(4096n + 64n * 1024n * 1024n, 0n), at(4096n, 4096n))).toBe(true);
    expect(store.commitsAfter(at(64n * 1024n * 1024n, 0n), 0n)).toBe(true);
  });
});
