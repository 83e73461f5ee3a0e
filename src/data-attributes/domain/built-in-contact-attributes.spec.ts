import { parseMessengerItem } from '../../messenger/domain/messenger-item.parse';
import { BUILT_IN_CONTACT_ATTRIBUTES } from './built-in-contact-attributes';

const now = 1_700_000_000;

/** What a messenger item writing `name` under its attributes is refused for, by field. */
const messengerRefusals = (name: string): readonly string[] => {
  const parsed = parseMessengerItem(
    {
      id: 'k',
      type: 'contact.attributes_updated',
      occurred_at: now,
      visitor_id: 'v',
      attributes: { [name]: null },
    },
    { now, index: 0 },
  );
  return parsed.ok ? [] : parsed.problems.map((problem) => problem.message);
};

describe('the built-in contact attributes', () => {
  it.each(
    BUILT_IN_CONTACT_ATTRIBUTES.filter((attribute) => !attribute.messenger_writable).map(
      (attribute) => [attribute.name],
    ),
  )('list %s as not messenger_writable, as no messenger item takes it', (name) => {
    expect(messengerRefusals(name)).toContain(`Unknown field attributes.${name}`);
  });

  it.each(
    BUILT_IN_CONTACT_ATTRIBUTES.filter((attribute) => attribute.messenger_writable).map(
      (attribute) => [attribute.name],
    ),
  )('list %s as messenger_writable, as a messenger item takes it', (name) => {
    expect(messengerRefusals(name)).not.toContain(`Unknown field attributes.${name}`);
  });

  it('list as messenger_writable what items write: their attributes, and the identities they carry', () => {
    expect(
      BUILT_IN_CONTACT_ATTRIBUTES.filter((attribute) => attribute.messenger_writable)
        .map((attribute) => attribute.name)
        .sort(),
    ).toEqual([
      'avatar',
      'email',
      'external_id',
      'language_override',
      'name',
      'phone',
      'unsubscribed_from_emails',
    ]);
  });
});
