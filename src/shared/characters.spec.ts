import { characterCount, fitsCharacters } from './characters';

describe('characterCount', () => {
  it('counts an emoji (a surrogate pair) once, and a lone surrogate once', () => {
    expect(characterCount('abc')).toBe(3);
    expect(characterCount('😀'.repeat(255))).toBe(255);
    expect(characterCount('a\ud800b')).toBe(3);
    expect(fitsCharacters('😀'.repeat(255), 255)).toBe(true);
    expect(fitsCharacters('😀'.repeat(256), 255)).toBe(false);
  });
});
