import { positionText } from '../shared/log-position';
import { CONTACT_COLUMNS, contactRowOf } from '../contacts/contacts.table';
import { membershipContactRow, spanBucket } from './segment-membership.tables';

/** An EventStoreDB position as `esdb-mapping.ts` packs it. */
const packed = (commit: bigint, prepare = commit): bigint => (commit << 64n) | prepare;
const MIB = 1n << 20n;

describe('spanBucket', () => {
  it('cuts the embedded store log into stretches of 1,024 events, named by their first position', () => {
    expect(spanBucket(1n)).toBe(positionText(0n));
    expect(spanBucket(1023n)).toBe(positionText(0n));
    expect(spanBucket(1024n)).toBe(positionText(1024n));
    expect(spanBucket(5000n)).toBe(positionText(4096n));
  });

  it("cuts EventStoreDB's log into stretches of 1 MiB of commit offsets", () => {
    expect(spanBucket(packed(5n * MIB + 17n))).toBe(positionText(packed(5n * MIB, 0n)));
    expect(spanBucket(packed(6n * MIB - 1n))).toBe(positionText(packed(5n * MIB, 0n)));
    expect(spanBucket(packed(6n * MIB))).toBe(positionText(packed(6n * MIB, 0n)));
    // Its first stretch starts at its first packed position, past every embedded one.
    expect(spanBucket(packed(9n))).toBe(positionText(packed(1n, 0n)));
  });

  it('names contiguous stretches in log order, each by a position at or before its own', () => {
    const positions = [
      3n,
      1024n,
      70_000n,
      (1n << 64n) - 1n,
      packed(1n, 0n),
      packed(9n),
      packed(MIB),
      packed(2n * MIB + 5n),
    ];
    const buckets = positions.map(spanBucket);
    expect([...buckets].sort()).toEqual(buckets);
    positions.forEach((position, index) => {
      expect(buckets[index]! <= positionText(position)).toBe(true);
    });
  });
});

describe('membershipContactRow', () => {
  it('copies every column of the contact row and adds latest_event_at', () => {
    // Each column holds its own name, so a column copied from another shows.
    const row = contactRowOf(CONTACT_COLUMNS);
    expect(membershipContactRow(row, 7)).toStrictEqual({ ...row, latest_event_at: 7 });
    expect(membershipContactRow(row, null)).toStrictEqual({ ...row, latest_event_at: null });
  });
});
