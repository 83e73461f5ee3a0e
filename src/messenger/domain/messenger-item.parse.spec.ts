import { parseMessengerItem, parseMetadata } from './messenger-item.parse';

const now = 1_700_000_000;
const parse = (raw: unknown) => parseMessengerItem(raw, { now, index: 0 });
const fieldsOf = (raw: unknown) => {
  const parsed = parse(raw);
  return parsed.ok ? [] : parsed.problems.map((problem) => problem.field);
};

describe('parseMessengerItem', () => {
  it('maps a valid item to our names', () => {
    expect(
      parse({
        id: 'k1',
        type: 'visitor.seen',
        occurred_at: now - 10,
        visitor_id: 'v1',
        context: {
          browser: 'firefox',
          page_url: 'https://example.com',
          location: { city: 'Dublin' },
        },
      }),
    ).toEqual({
      ok: true,
      item: {
        id: 'k1',
        type: 'visitor.seen',
        occurredAt: now - 10,
        visitorId: 'v1',
        context: { browser: 'firefox', location: { country: null, region: null, city: 'Dublin' } },
      },
    });
  });

  it('accepts late events and at most five minutes of clock drift', () => {
    expect(parse({ id: 'k', type: 'visitor.seen', occurred_at: 0, visitor_id: 'v' }).ok).toBe(true);
    expect(
      parse({ id: 'k', type: 'visitor.seen', occurred_at: now + 300, visitor_id: 'v' }).ok,
    ).toBe(true);
    expect(
      fieldsOf({ id: 'k', type: 'visitor.seen', occurred_at: now + 301, visitor_id: 'v' }),
    ).toEqual(['occurred_at']);
  });

  it('measures strings in characters, as the Contacts API does: 255 emoji fit', () => {
    const externalId = '😀'.repeat(255);
    const item = { id: 'k', type: 'contact.logged_in', occurred_at: now, external_id: externalId };
    expect(parse(item)).toMatchObject({ ok: true, item: { externalId } });
    expect(fieldsOf({ ...item, external_id: '😀'.repeat(256) })).toContain('external_id');
  });

  it('refuses a NUL character in any string of the item, naming where', () => {
    const seen = { id: 'k', type: 'visitor.seen', occurred_at: now, visitor_id: 'v' };
    expect(fieldsOf({ ...seen, context: { browser: 'fire\u0000fox' } })).toEqual([
      'context.browser',
    ]);
    expect(fieldsOf({ ...seen, visitor_id: 'v\u0000' })).toContain('visitor_id');
  });

  it('refuses ids and identities of spaces only, which name nothing', () => {
    const seen = { id: 'k', type: 'visitor.seen', occurred_at: now, visitor_id: 'v' };
    expect(fieldsOf({ ...seen, visitor_id: '   ' })).toEqual(['visitor_id']);
    expect(fieldsOf({ ...seen, external_id: ' ' })).toEqual(['external_id']);
    expect(fieldsOf({ ...seen, id: '\t' })).toEqual(['id']);
  });

  it('takes an avatar that is an http(s) URL, or null, and nothing else', () => {
    const update = (avatar: unknown) => ({
      id: 'k',
      type: 'contact.attributes_updated',
      occurred_at: now,
      visitor_id: 'v',
      attributes: { avatar },
    });
    for (const avatar of [
      'https://example.com/a.png',
      'HTTPS://Example.com/a.png',
      'http://user@example.com:8080/a.png',
      'http://[::1]/a.png',
      null,
    ])
      expect(fieldsOf(update(avatar))).toEqual([]);
    for (const avatar of [
      '::::',
      'not a url',
      'javascript:alert(1)',
      '',
      7,
      // What the URL parser would trim, strip or rewrite is no URI as sent.
      ' https://example.com/a.png ',
      'https://exa\nmple.com/a.png',
      'https://example.com/a b.png',
      'http:\\\\example.com\\a.png',
      'https://.',
      'https://example.com/\u200b',
      // No host as written, though the parser would read one: 'http:x.com' as http://x.com/.
      'http:x.com',
      'http:/x.com',
      'https:///path',
      'HTTP:x.com',
      'http://',
      'http://:80/a',
      'http://user@/a',
    ])
      expect(fieldsOf(update(avatar))).toEqual(['attributes.avatar']);
  });

  it('refuses the fields of another type, which this one would drop', () => {
    const seen = { id: 'k', type: 'visitor.seen', occurred_at: now, visitor_id: 'v' };
    expect(
      fieldsOf({ ...seen, event_name: 'e', metadata: { a: 1 }, conversation_id: 'c' }),
    ).toEqual(['event_name', 'metadata', 'conversation_id']);
    expect(parse({ ...seen, type: 'event.tracked', event_name: 'e', metadata: { a: 1 } }).ok).toBe(
      true,
    );
    expect(parse({ ...seen, type: 'conversation.started', conversation_id: 'c' }).ok).toBe(true);
  });

  it('names every problem of an item', () => {
    expect(fieldsOf([])).toEqual(['events[0]']);
    expect(fieldsOf({})).toEqual(['id', 'type', 'occurred_at']);
    expect(fieldsOf({ id: '', type: 'x', occurred_at: 1.5, visitor_id: 3, extra: true })).toEqual([
      'extra',
      'id',
      'type',
      'occurred_at',
      'visitor_id',
    ]);
  });

  it('names the field of an item that nests too deep, as a body names its own, not the item', () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 1;
      for (let level = 0; level < depth; level += 1) value = { a: value };
      return value;
    };
    const tracked = { id: 'k', type: 'event.tracked', occurred_at: now, visitor_id: 'v' };
    // The item is one level: metadata's 29 more are within the 30 an item may nest, and are
    // refused only for what metadata holds.
    expect(fieldsOf({ ...tracked, event_name: 'e', metadata: nested(29) })).toEqual(['metadata.a']);
    expect(parse({ ...tracked, event_name: 'e', metadata: nested(30) })).toEqual({
      ok: false,
      id: 'k',
      problems: [
        {
          code: 'parameter_invalid',
          message: 'The item nests objects or arrays more than 30 levels deep, in metadata',
          field: 'metadata',
        },
      ],
    });
    expect(fieldsOf({ ...tracked, context: { location: nested(40) } })).toEqual(['context']);
    expect(fieldsOf({ ...tracked, '': [nested(30)] })).toEqual(['""']);
  });

  it('names an empty key as JSON spells it, wherever it is', () => {
    const seen = { id: 'k', type: 'visitor.seen', occurred_at: now, visitor_id: 'v' };
    const parsed = parse({ ...seen, '': 1 });
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      { code: 'parameter_invalid', message: 'Unknown field ""', field: '""' },
    ]);
    expect(fieldsOf({ ...seen, context: { '': 1, location: { '': 'x' } } })).toEqual([
      'context.""',
      'context.location.""',
    ]);
    expect(
      fieldsOf({ ...seen, type: 'contact.attributes_updated', attributes: { '': 'x' } }),
    ).toEqual(['attributes.""']);
  });

  it('asks each type for what it needs', () => {
    const base = { id: 'k', occurred_at: now };
    expect(fieldsOf({ ...base, type: 'visitor.seen' })).toEqual(['visitor_id']);
    expect(fieldsOf({ ...base, type: 'contact.signed_up', visitor_id: 'v' })).toEqual([
      'external_id',
    ]);
    expect(fieldsOf({ ...base, type: 'email.supplied', visitor_id: 'v' })).toEqual(['email']);
    expect(fieldsOf({ ...base, type: 'email.supplied', email: 'a@b.c' })).toEqual(['visitor_id']);
    expect(fieldsOf({ ...base, type: 'contact.attributes_updated', visitor_id: 'v' })).toEqual([
      'attributes',
    ]);
    expect(fieldsOf({ ...base, type: 'event.tracked', visitor_id: 'v' })).toEqual(['event_name']);
    expect(
      fieldsOf({ ...base, type: 'event.tracked', visitor_id: 'v', event_name: ' \t ' }),
    ).toEqual(['event_name']);
  });

  it('answers one problem for each fault, never a second one for the same field', () => {
    const problemsOf = (raw: unknown) => {
      const parsed = parse(raw);
      return parsed.ok ? [] : parsed.problems.map(({ code, field }) => [code, field]);
    };
    const base = { id: 'k', occurred_at: now };
    // A given identity that is blank is refused as such, not also as one left out.
    expect(
      problemsOf({ ...base, type: 'contact.signed_up', visitor_id: 'v', external_id: ' ' }),
    ).toEqual([['parameter_invalid', 'external_id']]);
    expect(problemsOf({ ...base, type: 'contact.logged_in', email: '' })).toEqual([
      ['parameter_invalid', 'email'],
    ]);
    expect(problemsOf({ ...base, type: 'email.supplied', visitor_id: ' ', email: ' ' })).toEqual([
      ['parameter_invalid', 'visitor_id'],
      ['parameter_invalid', 'email'],
    ]);
    // A prototype key is refused as one, not also as an unknown field.
    const seen = `"id": "k", "type": "visitor.seen", "occurred_at": ${now}, "visitor_id": "v"`;
    for (const [extra, field] of [
      ['"__proto__": 1', '__proto__'],
      ['"context": {"__proto__": {}}', 'context.__proto__'],
      ['"context": {"location": {"constructor": "x"}}', 'context.location.constructor'],
      ['"attributes": {"toString": "x"}', 'attributes.toString'],
    ] as const) {
      const problems = problemsOf(JSON.parse(`{${seen}, ${extra}}`));
      expect(problems).toEqual([['parameter_invalid', field]]);
      const parsed = parse(JSON.parse(`{${seen}, ${extra}}`));
      expect(parsed.ok ? '' : parsed.problems[0]!.message).toMatch(/is not accepted/);
    }
  });

  it('refuses identity fields inside attributes and metadata nested deeper than one object', () => {
    expect(
      fieldsOf({
        id: 'k',
        type: 'event.tracked',
        occurred_at: now,
        visitor_id: 'v',
        event_name: 'e',
        metadata: { price: { amount: 100, currency: 'eur' }, deep: { a: { b: 1 } } },
      }),
    ).toEqual(['metadata.deep']);
    expect(
      fieldsOf({
        id: 'k',
        type: 'contact.attributes_updated',
        occurred_at: now,
        visitor_id: 'v',
        attributes: { external_id: 'x', custom_attributes: { ok: 1, list: [1] } },
      }),
    ).toEqual(['attributes.external_id', 'attributes.custom_attributes.list']);
  });
});

describe('parseMetadata', () => {
  it('keeps the first 10 keys in the order sent and ignores the rest, as Intercom does', () => {
    const sent = Object.fromEntries(
      Array.from({ length: 15 }, (_, index) => [`k${index}`, index === 12 ? [1] : index]),
    );
    const problems: string[] = [];
    const kept = parseMetadata(sent, (field, message) => problems.push(`${field}: ${message}`));
    expect(kept).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])));
    // An ignored key is not checked either.
    expect(problems).toEqual([]);
  });

  it('refuses an integer beyond the safe range, which JSON parsing has already rounded', () => {
    const problems: string[] = [];
    const sent = JSON.parse(
      '{"big": 9007199254740993, "huge": 12345678901234567890, "edge": 9007199254740992,' +
        ' "nested": {"low": -9007199254740993}, "far": 1e300, "safe": -9007199254740991, "real": 0.5}',
    ) as unknown;
    parseMetadata(sent, (field) => problems.push(field));
    expect(problems).toEqual([
      'metadata.big',
      'metadata.huge',
      'metadata.edge',
      'metadata.nested',
      'metadata.far',
    ]);
  });
});
