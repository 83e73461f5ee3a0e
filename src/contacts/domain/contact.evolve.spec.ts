import { contactDecider } from './contact.decider';
import type { ContactEvent } from './contact.events';
import { dataEventKey, type LiveContact } from './contact.state';
import {
  T0,
  deleted,
  fold,
  ids,
  leadCreated,
  userCreated,
  visitorRegistered,
} from './contact.test-fixtures';

const live = (events: readonly ContactEvent[]): LiveContact => {
  const state = fold(events);
  if (state.status !== 'visitor' && state.status !== 'lead' && state.status !== 'user') {
    throw new Error(`expected a live contact, got ${state.status}`);
  }
  return state;
};

const seen = (at: number, browser: string): ContactEvent => ({
  type: 'ContactSeen',
  data: { ...ids, seenAt: at, context: { browser } },
});

describe('contact evolve', () => {
  it('starts a visitor with its anonymous id and its context', () => {
    const visitor = live([
      {
        type: 'VisitorRegistered',
        data: { ...ids, userId: 'anon-1', registeredAt: T0, context: { os: 'Linux' } },
      },
    ]);
    expect(visitor).toMatchObject({
      status: 'visitor',
      id: ids.contactId,
      workspace_id: ids.workspaceId,
      user_id: 'anon-1',
      os: 'Linux',
      created_at: T0,
      updated_at: T0,
      archived: false,
    });
  });

  it('makes a visitor a lead', () => {
    expect(
      live([
        visitorRegistered(),
        {
          type: 'VisitorBecameLead',
          data: { ...ids, becameLeadAt: T0 + 1, cause: 'conversation_started' },
        },
      ]).status,
    ).toBe('lead');
  });

  it('makes a lead from an earlier time of a visitor that became one later, never turning a user back', () => {
    const becameLead = (at: number): ContactEvent => ({
      type: 'VisitorBecameLead',
      data: { ...ids, becameLeadAt: at, cause: 'conversation_started' },
    });
    const lead = live([visitorRegistered(T0), becameLead(T0 + 50)]);
    expect(live([visitorRegistered(T0), becameLead(T0 + 50), becameLead(T0 + 20)])).toEqual({
      ...lead,
      visitorUntil: T0 + 20,
    });
    const signedUp: ContactEvent = {
      type: 'LeadSignedUp',
      data: { ...ids, fromRole: 'visitor', signedUpAt: T0 + 50, identity: {} },
    };
    expect(live([visitorRegistered(T0), signedUp, becameLead(T0 + 20)])).toMatchObject({
      status: 'user',
      updated_at: T0 + 50,
      visitorUntil: T0 + 20,
    });
  });

  it('makes a lead that signs up leaving its email a user without one, its history keeping it', () => {
    const lead = [leadCreated({ email: 'lead@example.com', email_verified: true })];
    const signedUp: ContactEvent = {
      type: 'LeadSignedUp',
      data: {
        ...ids,
        fromRole: 'lead',
        signedUpAt: T0 + 5,
        identity: { external_id: 'ext-1' },
        dropsEmail: true,
      },
    };
    expect(live(lead)).toMatchObject({ email: 'lead@example.com', email_verified: true });
    expect(live([...lead, signedUp])).toMatchObject({
      status: 'user',
      external_id: 'ext-1',
      email: null,
      email_verified: null,
      signed_up_at: T0 + 5,
      updated_at: T0 + 5,
    });
  });

  it('makes a lead from an earlier time of a visitor that supplied its email late, never turning a user back', () => {
    const becameLead: ContactEvent = {
      type: 'VisitorBecameLead',
      data: { ...ids, becameLeadAt: T0 + 50, cause: 'conversation_started' },
    };
    const gaveEmail: ContactEvent = {
      type: 'ContactUpdated',
      data: { ...ids, updatedAt: T0 + 20, changes: { role: 'lead', email: 'a@b.c' } },
    };
    const lead = live([visitorRegistered(T0), becameLead]);
    expect(live([visitorRegistered(T0), becameLead, gaveEmail])).toEqual({
      ...lead,
      email: 'a@b.c',
      visitorUntil: T0 + 20,
    });
    const signedUp: ContactEvent = {
      type: 'LeadSignedUp',
      data: { ...ids, fromRole: 'visitor', signedUpAt: T0 + 50, identity: {} },
    };
    expect(live([visitorRegistered(T0), signedUp, gaveEmail])).toMatchObject({
      status: 'user',
      visitorUntil: T0 + 20,
    });
  });

  it('makes a lead a user with its identity and sign-up time', () => {
    const user = live([
      leadCreated({ email: 'lead@example.com' }),
      {
        type: 'LeadSignedUp',
        data: { ...ids, fromRole: 'lead', signedUpAt: T0 + 5, identity: { external_id: 'ext-1' } },
      },
    ]);
    expect(user).toMatchObject({
      status: 'user',
      email: 'lead@example.com',
      external_id: 'ext-1',
      signed_up_at: T0 + 5,
      updated_at: T0 + 5,
    });
  });

  it('applies updates, including a role change and removing a custom attribute', () => {
    const user = live([
      leadCreated({ custom_attributes: { plan: 'free', seats: 2 } }),
      {
        type: 'ContactUpdated',
        data: {
          ...ids,
          updatedAt: T0 + 9,
          changes: { role: 'user', name: 'Ada', custom_attributes: { plan: null, seats: 3 } },
        },
      },
    ]);
    expect(user).toMatchObject({
      status: 'user',
      name: 'Ada',
      custom_attributes: { seats: 3 },
      updated_at: T0 + 9,
    });
    expect(user.custom_attributes).not.toHaveProperty('plan');
  });

  it('takes a flag written as null (cleared) as false, on creation and on update', () => {
    const cleared = { unsubscribed_from_emails: null, has_hard_bounced: null } as unknown as {
      unsubscribed_from_emails: boolean;
      has_hard_bounced: boolean;
    };
    const created = live([
      leadCreated({ ...cleared, marked_email_as_spam: true, unsubscribed_from_emails: true }),
    ]);
    expect(created).toMatchObject({
      unsubscribed_from_emails: true,
      has_hard_bounced: false,
      marked_email_as_spam: true,
    });
    const updated = live([
      leadCreated({ unsubscribed_from_emails: true, marked_email_as_spam: true }),
      { type: 'ContactUpdated', data: { ...ids, updatedAt: T0 + 5, changes: cleared } },
    ]);
    expect(updated).toMatchObject({
      unsubscribed_from_emails: false,
      has_hard_bounced: false,
      marked_email_as_spam: true,
    });
  });

  it('never moves updated_at backwards for a late event', () => {
    const lead = live([
      leadCreated({}, T0 + 100),
      { type: 'ContactUpdated', data: { ...ids, updatedAt: T0 + 50, changes: { name: 'Late' } } },
    ]);
    expect(lead.updated_at).toBe(T0 + 100);
  });

  it('keeps for each attribute its newest write by event time, whatever the arrival order', () => {
    const updated = (at: number, changes: Record<string, unknown>): ContactEvent => ({
      type: 'ContactUpdated',
      data: { ...ids, updatedAt: at, changes },
    });
    const created = userCreated({ email: 'ada@example.com', name: 'Created' }, T0);
    const newer = updated(T0 + 100, { name: 'Newer', custom_attributes: { plan: 'pro' } });
    const older = updated(T0 + 50, {
      name: 'Older',
      phone: '+1 555',
      email: 'late@example.com',
      custom_attributes: { plan: 'free', seats: 3 },
    });
    for (const order of [
      [newer, older],
      [older, newer],
    ]) {
      expect(live([created, ...order])).toMatchObject({
        name: 'Newer',
        phone: '+1 555',
        custom_attributes: { plan: 'pro', seats: 3 },
      });
    }
    // Identities are written as they arrive: claimed or released by the decision, never skipped.
    expect(live([created, newer, older]).email).toBe('late@example.com');
    // A write older than the contact's creation leaves what the creation wrote.
    expect(live([created, updated(T0 - 10, { name: 'Before' })]).name).toBe('Created');
  });

  it('moves only the write time of fields an update reaffirmed, so that an older write loses to it', () => {
    const created = leadCreated({ name: 'Gold', custom_attributes: { plan: 'gold' } }, T0);
    const reaffirmed: ContactEvent = {
      type: 'ContactUpdated',
      data: {
        ...ids,
        updatedAt: T0 + 100,
        changes: {},
        reaffirmed: ['name', 'custom_attributes.plan'],
      },
    };
    const before = live([created]);
    const after = live([created, reaffirmed]);
    expect(after).toEqual({
      ...before,
      fieldWrittenAt: {
        ...before.fieldWrittenAt,
        name: T0 + 100,
        'custom_attributes.plan': T0 + 100,
      },
    });
    const late: ContactEvent = {
      type: 'ContactUpdated',
      data: {
        ...ids,
        updatedAt: T0 + 50,
        changes: { name: 'Free', custom_attributes: { plan: 'free' } },
      },
    };
    // The late write changes nothing now, updated_at included; before the reaffirmation it stood.
    expect(live([created, reaffirmed, late])).toEqual(after);
    expect(live([created, late])).toMatchObject({ name: 'Free', updated_at: T0 + 50 });
  });

  it('keeps last_seen_at and the context of the newest sighting when a late one arrives', () => {
    const lead = live([leadCreated(), seen(T0 + 100, 'Chrome'), seen(T0 + 40, 'Safari')]);
    expect(lead).toMatchObject({
      last_seen_at: T0 + 100,
      browser: 'Chrome',
      lastSeenRecordedAt: T0 + 100,
    });
  });

  it('fills from a late sighting only what no newer one reported', () => {
    const lead = live([
      leadCreated(),
      seen(T0 + 100, 'Chrome'),
      {
        type: 'ContactSeen',
        data: {
          ...ids,
          seenAt: T0 + 40,
          context: {
            browser: 'Safari',
            os: 'macOS',
            location: { country: 'France', region: null, city: 'Paris' },
          },
        },
      },
    ]);
    expect(lead).toMatchObject({
      last_seen_at: T0 + 100,
      browser: 'Chrome',
      os: 'macOS',
      location: { country: 'France', region: null, city: 'Paris' },
    });
  });

  it('gives each context field what the newest sighting that reported it said, whatever the arrival order', () => {
    const sighting = (at: number, context: Record<string, string>): ContactEvent => ({
      type: 'ContactSeen',
      data: { ...ids, seenAt: at, context },
    });
    const a = sighting(T0, { browser: 'chrome' });
    const b = sighting(T0 + 500, { browser: 'edge' });
    const c = sighting(T0 + 900, { os: 'linux' });
    for (const order of [
      [a, b, c],
      [a, c, b],
      [c, b, a],
    ]) {
      expect(live([leadCreated(), ...order])).toMatchObject({
        browser: 'edge',
        os: 'linux',
        last_seen_at: T0 + 900,
      });
    }
  });

  it('takes from a sighting no null and no empty location, and leaves the state it folded from as it was', () => {
    const before = live([leadCreated(), seen(T0 + 10, 'Chrome')]);
    const snapshot = structuredClone(before);
    const after = contactDecider.evolve(before, {
      type: 'ContactSeen',
      data: {
        ...ids,
        seenAt: T0 + 20,
        context: {
          browser: null,
          os: 'Linux',
          location: { country: null, region: null, city: null },
        },
      },
    });
    expect(after).toMatchObject({ browser: 'Chrome', os: 'Linux', last_seen_at: T0 + 20 });
    expect(after).toHaveProperty('location', before.location);
    expect(before).toEqual(snapshot);
  });

  it('moves last_replied_at and last_contacted_at forwards only', () => {
    const user = live([
      userCreated(),
      {
        type: 'OutboundReplied',
        data: { ...ids, repliedAt: T0 + 20, conversationId: null, outboundSentAt: T0 + 10 },
      },
      { type: 'ConversationStarted', data: { ...ids, startedAt: T0 + 15, conversationId: null } },
    ]);
    expect(user).toMatchObject({ last_replied_at: T0 + 20, last_contacted_at: T0 + 10 });
  });

  it('archives and unarchives', () => {
    const archived = [
      userCreated(),
      { type: 'ContactArchived', data: { ...ids, archivedAt: T0 + 1 } },
    ] as const;
    expect(live(archived).archived).toBe(true);
    expect(
      live([...archived, { type: 'ContactUnarchived', data: { ...ids, unarchivedAt: T0 + 2 } }])
        .archived,
    ).toBe(false);
  });

  it('absorbs a merged lead into merge_history and fills from what was copied', () => {
    const user = live([
      userCreated({ email: 'ada@example.com', last_seen_at: T0 + 5 }),
      {
        type: 'LeadMergeAbsorbed',
        data: {
          ...ids,
          from: 'lead-1',
          sourceRole: 'lead',
          mergedAt: T0 + 30,
          copied: {
            phone: '+1',
            last_seen_at: T0 + 20,
            last_replied_at: T0 + 19,
            custom_attributes: { source: 'ad' },
          },
        },
      },
    ]);
    expect(user).toMatchObject({
      email: 'ada@example.com',
      phone: '+1',
      last_seen_at: T0 + 20,
      last_replied_at: T0 + 19,
      custom_attributes: { source: 'ad' },
      merge_history: [
        { source_contact_id: 'lead-1', source_contact_role: 'lead', merged_at: T0 + 30 },
      ],
    });
  });

  it('remembers tracked data events by name and time', () => {
    const user = live([
      userCreated(),
      { type: 'DataEventTracked', data: { ...ids, name: 'ordered', createdAt: T0, metadata: {} } },
    ]);
    expect(user.dataEventKeys.size).toBe(1);
  });

  it('adds a data event to the state it makes, leaving the state it was folded from as it was', () => {
    const tracked = (name: string): ContactEvent => ({
      type: 'DataEventTracked',
      data: { ...ids, name, createdAt: T0, metadata: {} },
    });
    const before = live([userCreated(), tracked('ordered')]);
    const after = contactDecider.evolve(before, tracked('paid'));
    const branch = contactDecider.evolve(before, tracked('refunded'));
    expect(before.dataEventKeys.toArray()).toEqual([dataEventKey('ordered', T0)]);
    expect(after.status === 'user' && after.dataEventKeys.has(dataEventKey('refunded', T0))).toBe(
      false,
    );
    expect(branch.status === 'user' && branch.dataEventKeys.size).toBe(2);
  });

  it('keeps no PII once deleted', () => {
    const state = fold([userCreated({ email: 'ada@example.com', name: 'Ada' }), deleted(T0 + 9)]);
    expect(state).toEqual({
      status: 'deleted',
      id: ids.contactId,
      workspace_id: ids.workspaceId,
      deletedAt: T0 + 9,
      absorbed: [],
    });
  });

  it('ignores events that do not apply to the state', () => {
    expect(fold([{ type: 'ContactArchived', data: { ...ids, archivedAt: T0 } }])).toEqual({
      status: 'none',
    });
    const gone = fold([userCreated(), deleted(), seen(T0 + 50, 'Chrome')]);
    expect(gone.status).toBe('deleted');
  });
});
