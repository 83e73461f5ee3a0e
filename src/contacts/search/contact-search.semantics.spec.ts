import { daySeconds, foldCase } from './contact-search.semantics';

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

describe('daySeconds', () => {
  it('counts a day count in whole seconds, whatever floating point makes of the product', () => {
    expect(0.7 * 86_400).not.toBe(60_480);
    expect(daySeconds(0.7)).toBe(60_480);
    expect(daySeconds(1.1)).toBe(95_040);
    expect(daySeconds(7)).toBe(604_800);
    expect(daySeconds(0.0001)).toBe(9);
  });
});
