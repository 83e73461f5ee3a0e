import { foldCase } from './contact-search.semantics';

describe('foldCase', () => {
  it('lowers ASCII capitals only, as SQLite lower() does', () => {
    expect(foldCase('Ada.LOVELACE@Example.COM')).toBe('ada.lovelace@example.com');
    expect(foldCase('ÄÖÜ STRASSE ÉCOLE')).toBe('ÄÖÜ strasse École');
  });

  it('returns a value without capitals as it is, and folds every run of capitals', () => {
    expect(foldCase('already lower 123')).toBe('already lower 123');
    expect(foldCase('aBCdEFg')).toBe('abcdefg');
    expect(foldCase('')).toBe('');
  });
});
