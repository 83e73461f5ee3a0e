import { EMPTY_STANDARD_ATTRIBUTES } from './contact.attributes';
import { contactDecider } from './contact.decider';
import { ContactIsBlocked, ContactMerged, ContactNotFound, InvalidMerge } from './contact.errors';
import type { ContactEvent } from './contact.events';
import { mergeSourceOf, refusesMergeOf, type MergeSource } from './contact.state';
import {
  T0,
  deleted,
  fold,
  given,
  ids,
  leadCreated,
  mergedInto,
  userCreated,
  visitorRegistered,
} from './contact.test-fixtures';

const now = T0 + 100;
const target = 'user-9';

describe('merge, source side (MergeInto)', () => {
  it('closes a lead in favour of the user', () => {
    given([leadCreated()])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .then([
        {
          type: 'ContactMergedInto',
          data: { ...ids, into: target, sourceRole: 'lead', mergedAt: now },
        },
      ]);
  });

  it('closes a visitor too', () => {
    given([visitorRegistered()])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .then([
        {
          type: 'ContactMergedInto',
          data: { ...ids, into: target, sourceRole: 'visitor', mergedAt: now },
        },
      ]);
  });

  it('records nothing when the same merge is retried', () => {
    given([leadCreated(), mergedInto(target)])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .thenNothing();
  });

  it('refuses a contact already merged elsewhere', () => {
    given([leadCreated(), mergedInto('user-1')])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .thenThrows(InvalidMerge, { code: 'invalid_merge' });
  });

  it('refuses a user as source', () => {
    given([userCreated()])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .thenThrows(InvalidMerge, { code: 'invalid_merge' });
  });

  it('refuses a merge into itself', () => {
    given([leadCreated()])
      .when({ type: 'MergeInto', data: { ...ids, into: ids.contactId }, now })
      .thenThrows(InvalidMerge);
  });

  it('refuses a deleted source', () => {
    given([leadCreated(), deleted()])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .thenThrows(InvalidMerge);
  });

  it('refuses an unknown source', () => {
    given([])
      .when({ type: 'MergeInto', data: { ...ids, into: target }, now })
      .thenThrows(ContactNotFound, { code: 'not_found' });
  });

  it.each([
    ['a lead since', [leadCreated()]],
    ['merged since, into the same user', [visitorRegistered(), mergedInto(target)]],
  ])('refuses a conversion of a visitor that is %s as not found', (_, history) => {
    given(history)
      .when({ type: 'MergeInto', data: { ...ids, into: target, visitorsOnly: true }, now })
      .thenThrows(ContactNotFound, { contactId: ids.contactId, field: undefined });
  });

  it('leaves the external_id with the lead when the log-in causing the merge gives the user its own', () => {
    const lead = [leadCreated({ external_id: 'lead-ext', name: 'Lea' })];
    const kept: ContactEvent = {
      type: 'ContactMergedInto',
      data: { ...ids, into: target, sourceRole: 'lead', mergedAt: now, keepsExternalId: true },
    };
    given(lead)
      .when({ type: 'MergeInto', data: { ...ids, into: target, keepExternalId: true }, now })
      .then([kept]);
    // What the user absorbs lacks it; the closed lead itself still has it.
    expect(mergeSourceOf(fold([...lead, kept]))?.attributes).toMatchObject({
      external_id: null,
      name: 'Lea',
    });
    expect(mergeSourceOf(fold([...lead, mergedInto(target)]))?.attributes.external_id).toBe(
      'lead-ext',
    );
  });

  it('says no external_id stays with a visitor that had none', () => {
    given([visitorRegistered()])
      .when({ type: 'MergeInto', data: { ...ids, into: target, keepExternalId: true }, now })
      .then([
        {
          type: 'ContactMergedInto',
          data: { ...ids, into: target, sourceRole: 'visitor', mergedAt: now },
        },
      ]);
  });

  it('refuses every later command on the closed source, naming the target', () => {
    given([leadCreated(), mergedInto(target)])
      .when({ type: 'TrackEvent', data: { ...ids, name: 'x', createdAt: T0 }, now })
      .thenThrows(ContactMerged, {
        code: 'contact_merged',
        contactId: ids.contactId,
        into: target,
      });
  });
});

describe('merge, target side (AbsorbMergedLead)', () => {
  const source = (overrides: Partial<MergeSource> = {}): MergeSource => ({
    contactId: 'lead-1',
    workspaceId: ids.workspaceId,
    role: 'lead',
    attributes: {
      ...EMPTY_STANDARD_ATTRIBUTES,
      email: 'lead@example.com',
      name: 'From Lead',
      phone: '+1',
      external_id: 'lead-ext',
      last_seen_at: T0 + 90,
      unsubscribed_from_emails: true,
      location: { country: 'France', region: null, city: 'Paris' },
    },
    email_verified: null,
    custom_attributes: { plan: 'free', source: 'ad' },
    last_replied_at: T0 + 80,
    last_contacted_at: null,
    dataEventKeys: [],
    blockedAt: null,
    ...overrides,
  });

  const user = userCreated({
    email: 'ada@example.com',
    name: 'Ada',
    external_id: 'ext-1',
    last_seen_at: T0 + 50,
    custom_attributes: { plan: 'pro' },
  });

  it('takes the context fields the source saw last, with their report times', () => {
    const seenOnUser: ContactEvent = {
      type: 'ContactSeen',
      data: { ...ids, seenAt: T0 + 60, context: { browser: 'Safari', os: 'macOS' } },
    };
    const lead = source({
      attributes: {
        ...source().attributes,
        browser: 'Firefox',
        os: 'Linux',
        browser_language: 'fr',
      },
      // browser seen on the lead after the user's sighting, os before it; browser_language never
      // reported on the user.
      fieldWrittenAt: { browser: T0 + 70, os: T0 + 40, browser_language: T0 + 10 },
    });
    const absorbed = contactDecider.decide(
      { type: 'AbsorbMergedLead', data: { ...ids, source: lead }, now },
      fold([user, seenOnUser]),
    );
    expect(absorbed).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          copied: expect.objectContaining({ browser: 'Firefox', browser_language: 'fr' }),
          fieldWrittenAt: { browser: T0 + 70, browser_language: T0 + 10 },
        }),
      }),
    ]);
    const merged = fold([user, seenOnUser, ...absorbed]);
    expect(merged).toMatchObject({
      browser: 'Firefox',
      os: 'macOS',
      browser_language: 'fr',
      fieldWrittenAt: { browser: T0 + 70, os: T0 + 60, browser_language: T0 + 10 },
    });
  });

  it('takes the fields it fills with their write times on the source, reaffirmations included: a late write older than them leaves them be', () => {
    const leadEvents: ContactEvent[] = [
      leadCreated({ name: 'Ann', phone: '+1', custom_attributes: { plan: 'free' } }, T0 + 60),
      {
        type: 'ContactUpdated',
        data: { ...ids, updatedAt: T0 + 100, changes: {}, reaffirmed: ['name'] },
      },
    ];
    const lead = { ...mergeSourceOf(fold(leadEvents))!, contactId: 'lead-1' };
    const bareUser = userCreated({ email: 'ada@example.com', phone: '+2' }, T0 - 10);
    const absorbed = contactDecider.decide(
      { type: 'AbsorbMergedLead', data: { ...ids, source: lead }, now: T0 + 400 },
      fold([bareUser]),
    );
    expect(absorbed).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          copied: expect.objectContaining({ name: 'Ann', custom_attributes: { plan: 'free' } }),
          fieldWrittenAt: { name: T0 + 100, 'custom_attributes.plan': T0 + 60 },
        }),
      }),
    ]);
    const lateWrite: ContactEvent = {
      type: 'ContactUpdated',
      data: {
        ...ids,
        updatedAt: T0 + 50,
        changes: { name: 'Old', phone: '+3', custom_attributes: { plan: 'pro' } },
      },
    };
    // The target's own phone, written at T0 - 10, is older than the late write.
    expect(fold([bareUser, ...absorbed, lateWrite])).toMatchObject({
      name: 'Ann',
      phone: '+3',
      custom_attributes: { plan: 'free' },
    });
  });

  it('keeps the target values and fills its blanks from the source', () => {
    given([user])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: source() }, now })
      .then([
        {
          type: 'LeadMergeAbsorbed',
          data: {
            ...ids,
            from: 'lead-1',
            sourceRole: 'lead',
            mergedAt: now,
            copied: {
              phone: '+1',
              location: { country: 'France', region: null, city: 'Paris' },
              unsubscribed_from_emails: true,
              last_seen_at: T0 + 90,
              last_replied_at: T0 + 80,
              custom_attributes: { source: 'ad' },
            },
          },
        },
      ]);
  });

  it("fills a user's missing external_id with the lead's: the identity upstream systems know the person by", () => {
    const bareUser = userCreated({ email: 'ada@example.com' });
    const lead = source({
      attributes: { ...EMPTY_STANDARD_ATTRIBUTES, external_id: 'lead-ext' },
      custom_attributes: {},
      last_replied_at: null,
    });
    const absorbed: ContactEvent = {
      type: 'LeadMergeAbsorbed',
      data: {
        ...ids,
        from: 'lead-1',
        sourceRole: 'lead',
        mergedAt: T0 + 7,
        copied: { external_id: 'lead-ext' },
      },
    };
    given([bareUser])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: lead, mergedAt: T0 + 7 }, now })
      .then([absorbed]);
    expect(fold([bareUser, absorbed])).toMatchObject({ external_id: 'lead-ext' });
  });

  it('folds an absorption recorded before external_ids passed as it was: the user has none', () => {
    const recordedBefore: ContactEvent = {
      type: 'LeadMergeAbsorbed',
      data: { ...ids, from: 'lead-1', sourceRole: 'lead', mergedAt: T0 + 7, copied: { name: 'L' } },
    };
    expect(fold([userCreated({ email: 'ada@example.com' }), recordedBefore])).toMatchObject({
      external_id: null,
      name: 'L',
    });
  });

  it('copies nothing from a source that has nothing the target lacks, and still records the merge', () => {
    given([user])
      .when({
        type: 'AbsorbMergedLead',
        data: {
          ...ids,
          mergedAt: T0 + 7,
          source: source({
            attributes: EMPTY_STANDARD_ATTRIBUTES,
            custom_attributes: {},
            last_replied_at: null,
          }),
        },
        now,
      })
      .then([
        {
          type: 'LeadMergeAbsorbed',
          data: { ...ids, from: 'lead-1', sourceRole: 'lead', mergedAt: T0 + 7, copied: {} },
        },
      ]);
  });

  it('records nothing when the same source is absorbed twice', () => {
    const absorbed: ContactEvent = {
      type: 'LeadMergeAbsorbed',
      data: { ...ids, from: 'lead-1', sourceRole: 'lead', mergedAt: T0, copied: {} },
    };
    given([user, absorbed])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: source() }, now })
      .thenNothing();
  });

  it("takes the source's data events as its own: a retry of one, now addressed to it, records nothing", () => {
    const tracked = (name: string, at: number): ContactEvent => ({
      type: 'DataEventTracked',
      data: { ...ids, contactId: 'lead-1', name, createdAt: at, metadata: {} },
    });
    const lead = fold([leadCreated(), tracked('viewed-pricing', T0 + 5)]);
    // The fixtures' lead shares the user's id: the snapshot names the lead's own.
    const snapshot = { ...mergeSourceOf(lead)!, contactId: 'lead-1' };
    expect(snapshot.dataEventKeys).toHaveLength(1);
    given([user])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: snapshot }, now })
      .then([
        {
          type: 'LeadMergeAbsorbed',
          data: expect.objectContaining({ dataEventKeys: snapshot.dataEventKeys }) as never,
        },
      ]);
    const absorbed: ContactEvent = {
      type: 'LeadMergeAbsorbed',
      data: {
        ...ids,
        from: 'lead-1',
        sourceRole: 'lead',
        mergedAt: T0 + 6,
        copied: {},
        dataEventKeys: snapshot.dataEventKeys,
      },
    };
    const track = (name: string) =>
      ({ type: 'TrackEvent', data: { ...ids, name, createdAt: T0 + 5 }, now }) as const;
    given([user, absorbed]).when(track('viewed-pricing')).thenNothing();
    given([user, absorbed])
      .when(track('other-event'))
      .then([expect.objectContaining({ type: 'DataEventTracked' }) as never]);
  });

  it("takes the source's event of the same name and second as one of its own as a second event, and a retry of either after as a repeat", () => {
    const signedIn = (contactId: string, device: string): ContactEvent => ({
      type: 'DataEventTracked',
      data: { ...ids, contactId, name: 'signed-in', createdAt: T0 + 5, metadata: { device } },
    });
    const lead = fold([leadCreated(), signedIn(ids.contactId, 'phone')]);
    const snapshot = { ...mergeSourceOf(lead)!, contactId: 'lead-1' };
    const history = [user, signedIn(ids.contactId, 'desktop')];
    const absorbed = contactDecider.decide(
      { type: 'AbsorbMergedLead', data: { ...ids, source: snapshot }, now },
      fold(history),
    );
    // Each was accepted on its own contact: the absorption names the lead's, the target's alike.
    expect(absorbed).toEqual([
      expect.objectContaining({
        type: 'LeadMergeAbsorbed',
        data: expect.objectContaining({ dataEventKeys: snapshot.dataEventKeys }) as unknown,
      }),
    ]);
    given([...history, ...absorbed])
      .when({ type: 'TrackEvent', data: { ...ids, name: 'signed-in', createdAt: T0 + 5 }, now })
      .thenNothing();
  });

  describe("the email's verification", () => {
    const verifiedLead = (verified: boolean | null) => ({
      ...mergeSourceOf(
        fold([leadCreated({ email: 'lead@example.com', name: 'Lea', email_verified: verified })]),
      )!,
      contactId: 'lead-1',
    });
    const absorb = (given: readonly ContactEvent[], lead: MergeSource) => {
      const absorbed = contactDecider.decide(
        { type: 'AbsorbMergedLead', data: { ...ids, source: lead }, now },
        fold(given),
      );
      return { absorbed, merged: fold([...given, ...absorbed]) };
    };
    const copiedBy = (events: readonly ContactEvent[]) =>
      events[0]?.type === 'LeadMergeAbsorbed' ? events[0].data.copied : undefined;

    it('comes with the email the target takes from the source', () => {
      for (const verified of [true, false]) {
        const { absorbed, merged } = absorb(
          [userCreated({ external_id: 'ext-1' })],
          verifiedLead(verified),
        );
        expect(copiedBy(absorbed)).toMatchObject({
          email: 'lead@example.com',
          email_verified: verified,
        });
        expect(merged).toMatchObject({ email: 'lead@example.com', email_verified: verified });
      }
    });

    it('stays with the source when the target keeps its own email', () => {
      const ownEmail = userCreated({ email: 'ada@example.com', email_verified: false });
      const { absorbed, merged } = absorb([ownEmail], verifiedLead(true));
      expect(copiedBy(absorbed)).not.toHaveProperty('email_verified');
      expect(merged).toMatchObject({ email: 'ada@example.com', email_verified: false });
    });

    it('stays with the source when its email does not pass (another user holds it)', () => {
      const lead = verifiedLead(true);
      const { absorbed, merged } = absorb([userCreated({ external_id: 'ext-1' })], {
        ...lead,
        attributes: { ...lead.attributes, email: null },
      });
      expect(copiedBy(absorbed)).toMatchObject({ name: 'Lea' });
      expect(copiedBy(absorbed)).not.toHaveProperty('email_verified');
      expect(merged).toMatchObject({ email: null, email_verified: null });
    });

    it('is not copied when the source knew none', () => {
      const { absorbed } = absorb([userCreated({ external_id: 'ext-1' })], verifiedLead(null));
      expect(copiedBy(absorbed)).toMatchObject({ email: 'lead@example.com' });
      expect(copiedBy(absorbed)).not.toHaveProperty('email_verified');
    });
  });

  describe('a blocked source', () => {
    const blockedAt = (absorbed: readonly ContactEvent[]) =>
      absorbed[0]?.type === 'LeadMergeAbsorbed' ? absorbed[0].data.blockedAt : 'no absorption';
    const absorb = (
      history: readonly ContactEvent[],
      sourceBlockedAt: number,
      mergedAt: number,
    ): ContactEvent[] => [
      ...contactDecider.decide(
        {
          type: 'AbsorbMergedLead',
          data: { ...ids, mergedAt, source: source({ blockedAt: sourceBlockedAt }) },
          now,
        },
        fold(history),
      ),
    ];
    const conversation = (history: readonly ContactEvent[], occurredAt: number) =>
      given(history).when({ type: 'StartConversation', data: { ...ids, occurredAt }, now });

    it('blocks the user from the merge on: what the user said before it, reported late, stands', () => {
      const absorbed = absorb([user], T0 + 5, T0 + 20);
      expect(blockedAt(absorbed)).toBe(T0 + 20);
      conversation([user, ...absorbed], T0 + 20).thenThrows(ContactIsBlocked, {
        contactId: ids.contactId,
      });
      conversation([user, ...absorbed], T0 + 19).then([
        expect.objectContaining({ type: 'ConversationStarted' }) as never,
      ]);
      given([user, ...absorbed])
        .when({ type: 'ReplyToOutbound', data: ids, now })
        .thenThrows(ContactIsBlocked);
    });

    it("blocks the user from the source's block when a merge dated in the past came before it", () => {
      const absorbed = absorb([user], T0 + 30, T0 + 20);
      expect(blockedAt(absorbed)).toBe(T0 + 30);
      conversation([user, ...absorbed], T0 + 25).then([
        expect.objectContaining({ type: 'ConversationStarted' }) as never,
      ]);
    });

    it('leaves a user blocked earlier blocked from its own time', () => {
      const userBlocked: ContactEvent = {
        type: 'ContactBlocked',
        data: { ...ids, blockedAt: T0 + 2 },
      };
      const absorbed = absorb([user, userBlocked], T0 + 5, T0 + 20);
      expect(blockedAt(absorbed)).toBeUndefined();
      conversation([user, userBlocked, ...absorbed], T0 + 2).thenThrows(ContactIsBlocked);
    });

    it('moves the block of a user blocked after a merge dated in the past back to the merge', () => {
      const userBlocked: ContactEvent = {
        type: 'ContactBlocked',
        data: { ...ids, blockedAt: T0 + 40 },
      };
      const absorbed = absorb([user, userBlocked], T0 + 5, T0 + 20);
      expect(blockedAt(absorbed)).toBe(T0 + 20);
      conversation([user, userBlocked, ...absorbed], T0 + 30).thenThrows(ContactIsBlocked);
    });

    it('is offered as blocked by the lead closed for the merge', () => {
      const lead = [
        leadCreated(),
        { type: 'ContactBlocked', data: { ...ids, blockedAt: T0 + 3 } },
      ] as const;
      expect(mergeSourceOf(fold([...lead, mergedInto(target)]))).toMatchObject({
        blockedAt: T0 + 3,
      });
    });

    it('records no block for a source not blocked, as absorptions recorded before have none', () => {
      const absorbed = contactDecider.decide(
        { type: 'AbsorbMergedLead', data: { ...ids, mergedAt: T0 + 20, source: source() }, now },
        fold([user]),
      );
      expect(blockedAt(absorbed)).toBeUndefined();
      conversation([user, ...absorbed], T0 + 50).then([
        expect.objectContaining({ type: 'ConversationStarted' }) as never,
      ]);
    });
  });

  it('refuses a lead as target', () => {
    given([leadCreated()])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: source() }, now })
      .thenThrows(InvalidMerge, { code: 'invalid_merge' });
  });

  it('refuses a merged target', () => {
    given([leadCreated(), mergedInto(target)])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: source() }, now })
      .thenThrows(InvalidMerge);
  });

  it('refuses a deleted target', () => {
    given([user, deleted()])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: source() }, now })
      .thenThrows(InvalidMerge);
  });

  it('refuses an unknown target', () => {
    given([])
      .when({ type: 'AbsorbMergedLead', data: { ...ids, source: source() }, now })
      .thenThrows(ContactNotFound);
  });

  it('refuses a source from another workspace', () => {
    given([user])
      .when({
        type: 'AbsorbMergedLead',
        data: { ...ids, source: source({ workspaceId: 'ws-2' }) },
        now,
      })
      .thenThrows(InvalidMerge);
  });

  describe('duplicates only (Intercom 2.16)', () => {
    const absorb = (overrides: Partial<MergeSource['attributes']>) =>
      given([user]).when({
        type: 'AbsorbMergedLead',
        data: {
          ...ids,
          duplicatesOnly: true,
          source: source({ attributes: { ...source().attributes, ...overrides } }),
        },
        now,
      });

    it('refuses a source that shares neither email nor phone with the target', () => {
      absorb({ email: 'other@example.com', phone: '+1' }).thenThrows(InvalidMerge, {
        code: 'invalid_merge',
        message: expect.stringContaining('skip_duplicate_validation') as string,
      });
      absorb({ email: null, phone: null }).thenThrows(InvalidMerge);
    });

    it('absorbs a source with the same email, whatever its case', () => {
      absorb({ email: ' ADA@example.com' }).then([
        expect.objectContaining({ type: 'LeadMergeAbsorbed' }) as ContactEvent,
      ]);
    });

    it('absorbs a source with the same phone, whatever its spacing', () => {
      given([userCreated({ email: 'ada@example.com', phone: '+44 (20) 7946-0000' })])
        .when({
          type: 'AbsorbMergedLead',
          data: {
            ...ids,
            duplicatesOnly: true,
            source: source({
              attributes: { ...source().attributes, email: null, phone: '+442079460000' },
            }),
          },
          now,
        })
        .then([expect.objectContaining({ type: 'LeadMergeAbsorbed' }) as ContactEvent]);
    });
  });

  it('refuses to absorb itself', () => {
    given([user])
      .when({
        type: 'AbsorbMergedLead',
        data: { ...ids, source: source({ contactId: ids.contactId }) },
        now,
      })
      .thenThrows(InvalidMerge);
  });
});

describe('merge source snapshot', () => {
  it('is what the lead was when it was closed, so an interrupted merge can complete', () => {
    const lead = [
      leadCreated({ email: 'lead@example.com', custom_attributes: { plan: 'free' } }),
      { type: 'ConversationStarted', data: { ...ids, startedAt: T0 + 3, conversationId: null } },
    ] as const;
    const beforeClose = mergeSourceOf(fold(lead));
    const afterClose = mergeSourceOf(fold([...lead, mergedInto(target)]));

    expect(afterClose).toEqual(beforeClose);
    expect(afterClose).toMatchObject({
      contactId: ids.contactId,
      role: 'lead',
      attributes: { email: 'lead@example.com' },
      custom_attributes: { plan: 'free' },
      last_replied_at: T0 + 3,
    });
  });

  it('is not offered by a user', () => {
    expect(mergeSourceOf(fold([userCreated()]))).toBeUndefined();
  });
});

describe('merge refused after the source was closed (RevertMerge)', () => {
  const reverted: ContactEvent = {
    type: 'ContactMergeReverted',
    data: { ...ids, into: target, revertedAt: T0 + 10 },
  };

  it('reopens the source, dated at the merge it undoes', () => {
    given([leadCreated(), mergedInto(target, T0 + 10)])
      .when({ type: 'RevertMerge', data: { ...ids, into: target }, now })
      .then([reverted]);
  });

  it('brings the lead back exactly as it was when it was closed', () => {
    const lead: ContactEvent[] = [
      leadCreated({ name: 'Ada', email: 'ada@example.com', custom_attributes: { plan: 'pro' } }),
      { type: 'ContactArchived', data: { ...ids, archivedAt: T0 + 5 } },
      {
        type: 'DataEventTracked',
        data: { ...ids, name: 'opened', createdAt: T0 + 6, metadata: {} },
      },
    ];
    expect(fold([...lead, mergedInto(target), reverted])).toEqual(fold(lead));
  });

  it('brings a visitor back as the visitor it was', () => {
    const visitor = [visitorRegistered()];
    const closed: ContactEvent = {
      type: 'ContactMergedInto',
      data: { ...ids, into: target, sourceRole: 'visitor', mergedAt: T0 + 10 },
    };
    expect(fold([...visitor, closed, reverted])).toEqual(fold(visitor));
  });

  it('records nothing for a contact that is open (reverted already)', () => {
    given([leadCreated(), mergedInto(target), reverted])
      .when({ type: 'RevertMerge', data: { ...ids, into: target }, now })
      .thenNothing();
  });

  it('leaves alone a contact merged since into another user', () => {
    given([leadCreated(), mergedInto(target), reverted, mergedInto('user-2', T0 + 20)])
      .when({ type: 'RevertMerge', data: { ...ids, into: target }, now })
      .thenNothing();
  });

  it('refuses an unknown contact', () => {
    given([])
      .when({ type: 'RevertMerge', data: { ...ids, into: target }, now })
      .thenThrows(ContactNotFound);
  });
});

describe('whether a merge target refuses a source it was closed for', () => {
  const sourceId = 'lead-7';
  const absorbed: ContactEvent = {
    type: 'LeadMergeAbsorbed',
    data: { ...ids, from: sourceId, sourceRole: 'lead', mergedAt: T0 + 5, copied: {} },
  };

  it('refuses it once deleted without having absorbed it', () => {
    expect(refusesMergeOf(fold([userCreated(), deleted()]), sourceId)).toBe(true);
  });

  it('keeps it when it absorbed it before it was deleted: the source went with it', () => {
    expect(refusesMergeOf(fold([userCreated(), absorbed, deleted()]), sourceId)).toBe(false);
  });

  it('keeps it while it is a live user', () => {
    expect(refusesMergeOf(fold([userCreated()]), sourceId)).toBe(false);
  });
});
