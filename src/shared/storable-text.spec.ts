import { isStorableText, unstorableTextPath } from './storable-text';

describe('storable text', () => {
  it('takes any well-formed text, emoji included, and refuses NUL and unpaired surrogates', () => {
    expect(isStorableText('jörg 😀 مرحبا')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
    expect(isStorableText('a\ud800b')).toBe(false);
    expect(isStorableText('\udc00')).toBe(false);
  });

  it('names where in a value the first unstorable string or key is', () => {
    expect(unstorableTextPath({ a: ['ok', { b: 'x\ud800' }] })).toBe('a[1].b');
    expect(unstorableTextPath({ metadata: { ['k\ud800']: 'v' } })).toBe('metadata.k\ud800');
    expect(unstorableTextPath({ a: 'fine', b: [1, null, true] })).toBeUndefined();
  });
});
