import { depthExceeds, tooDeepMemberPath } from './json-limits';

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
};

describe('tooDeepMemberPath', () => {
  it('names the member of an object that nests past the limit, not the path down to it', () => {
    const body = { email: 'ada@example.com', custom_attributes: { x: nested(31) } };
    expect(depthExceeds(body, 32)).toBe(true);
    expect(tooDeepMemberPath(body, 32)).toBe('custom_attributes');
  });

  it('names an array item by its index', () => {
    expect(tooDeepMemberPath([1, nested(32)], 32)).toBe('[1]');
  });

  it('names nothing in a value within the limit, however wide', () => {
    const body = { custom_attributes: { x: nested(30) }, name: [[['deep enough']]] };
    expect(depthExceeds(body, 32)).toBe(false);
    expect(tooDeepMemberPath(body, 32)).toBeUndefined();
    expect(tooDeepMemberPath('text', 32)).toBeUndefined();
  });

  it('stops at the limit on a value nested tens of thousands deep', () => {
    expect(
      tooDeepMemberPath({ name: JSON.parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}`) }, 32),
    ).toBe('name');
  });
});
