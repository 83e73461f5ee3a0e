import { CONTACT_ID_PATTERN, newContactId } from './contact-id';

describe('newContactId', () => {
  it('starts with the hex seconds and never repeats, across refills of its random pool', () => {
    const now = 1_700_000_123_456;
    const ids = Array.from({ length: 5000 }, () => newContactId(now));
    for (const id of ids) {
      expect(id).toMatch(CONTACT_ID_PATTERN);
      expect(id.slice(0, 8)).toBe(Math.floor(now / 1000).toString(16));
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(8))).size).toBe(ids.length);
  });
});
