import type { ContactEvent } from '../../src/contacts/domain/contact.events';
import {
  convertedFromLead,
  convertedFromVisitor,
  lifecycleAfter,
  NO_LIFECYCLE,
  type ContactLifecycle,
} from './contact-lifecycle';

const ref = { contactId: 'c-1', workspaceId: 'w-1' };
const registered = (at: number): ContactEvent => ({
  type: 'VisitorRegistered',
  data: { ...ref, userId: 'v-1', registeredAt: at, context: {} },
});
const becameLead = (at: number): ContactEvent => ({
  type: 'VisitorBecameLead',
  data: { ...ref, becameLeadAt: at, cause: 'conversation_started' },
});
const signedUp = (at: number, fromRole: 'visitor' | 'lead'): ContactEvent => ({
  type: 'LeadSignedUp',
  data: { ...ref, fromRole, signedUpAt: at, identity: {} },
});
const promoted = (at: number, role?: 'lead' | 'user'): ContactEvent => ({
  type: 'ContactUpdated',
  data: { ...ref, updatedAt: at, changes: role ? { role } : { name: 'Ada' } },
});
const fold = (...events: ContactEvent[]): ContactLifecycle =>
  events.reduce(lifecycleAfter, NO_LIFECYCLE);

describe('a contact’s lifecycle, as the funnel counts it', () => {
  it('takes when it first was a visitor, a lead and a user, and counts both conversions', () => {
    const lifecycle = fold(registered(100), becameLead(200), signedUp(300, 'lead'));
    expect(lifecycle).toEqual({ visitorAt: 100, leadAt: 200, userAt: 300 });
    expect(convertedFromVisitor(lifecycle)).toBe(true);
    expect(convertedFromLead(lifecycle)).toBe(true);
  });

  it('counts a lead or user created through the API as created, converted from nothing', () => {
    const lead = fold({
      type: 'LeadCreated',
      data: { ...ref, createdAt: 50, attributes: {} },
    });
    expect(lead).toEqual({ visitorAt: null, leadAt: 50, userAt: null });
    expect(convertedFromVisitor(lead)).toBe(false);
    const user = fold({ type: 'UserCreated', data: { ...ref, createdAt: 60, attributes: {} } });
    expect(user).toEqual({ visitorAt: null, leadAt: null, userAt: 60 });
    expect(convertedFromLead(user)).toBe(false);
    // A lead promoted by an update converts at the update.
    const upgraded = [promoted(70, 'user')].reduce(lifecycleAfter, lead);
    expect(upgraded.userAt).toBe(70);
    expect(convertedFromLead(upgraded)).toBe(true);
  });

  it('counts a visitor that signed up straight away as a user, and as neither conversion', () => {
    const lifecycle = fold(registered(100), signedUp(150, 'visitor'));
    expect(lifecycle).toEqual({ visitorAt: 100, leadAt: null, userAt: 150 });
    expect(convertedFromVisitor(lifecycle)).toBe(false);
    expect(convertedFromLead(lifecycle)).toBe(false);
  });

  it('moves a becoming reported late back to its own time, in any order, and twice is once', () => {
    const late = fold(registered(100), becameLead(400), signedUp(500, 'lead'), becameLead(200));
    const inOrder = fold(registered(100), becameLead(200), becameLead(400), signedUp(500, 'lead'));
    expect(late).toEqual(inOrder);
    expect(late.leadAt).toBe(200);
    // The visitor that signed up had been a lead since a conversation reported after it.
    const signedUpFirst = fold(registered(100), signedUp(300, 'visitor'), becameLead(250));
    expect(convertedFromLead(signedUpFirst)).toBe(true);
    expect(fold(registered(100), registered(100), becameLead(200), becameLead(200))).toEqual(
      fold(registered(100), becameLead(200)),
    );
  });

  it('counts no lead for a contact that was a user by then, as as_of has it, in any order', () => {
    // A sign-up reported late, dated before the conversation that had made the visitor a lead.
    const lateSignUp = fold(registered(100), becameLead(200), signedUp(150, 'lead'));
    expect(lateSignUp).toEqual({ visitorAt: 100, leadAt: null, userAt: 150 });
    expect(convertedFromVisitor(lateSignUp)).toBe(false);
    expect(convertedFromLead(lateSignUp)).toBe(false);
    expect(fold(registered(100), signedUp(150, 'visitor'), becameLead(200))).toEqual(lateSignUp);
    expect(fold(registered(100), signedUp(150, 'visitor'), promoted(200, 'lead'))).toEqual(
      lateSignUp,
    );
    // A conversion reported later still, from before the sign-up, made it a lead after all.
    const leadAfterAll = [becameLead(120)].reduce(lifecycleAfter, lateSignUp);
    expect(leadAfterAll).toEqual({ visitorAt: 100, leadAt: 120, userAt: 150 });
    expect(convertedFromVisitor(leadAfterAll)).toBe(true);
    expect(convertedFromLead(leadAfterAll)).toBe(true);
    // Of one second, the lead first: it signed up as the lead it had just become.
    const sameSecond = fold(registered(100), becameLead(150), signedUp(150, 'lead'));
    expect(sameSecond).toEqual({ visitorAt: 100, leadAt: 150, userAt: 150 });
    expect(convertedFromLead(sameSecond)).toBe(true);
  });

  it('takes an update only when it promotes; merges and deletions take back nothing', () => {
    const lead = fold(registered(100), promoted(120, 'lead'), promoted(130));
    expect(lead).toEqual({ visitorAt: 100, leadAt: 120, userAt: null });
    const after = [
      {
        type: 'ContactMergedInto',
        data: { ...ref, into: 'u-1', sourceRole: 'lead', mergedAt: 140 },
      } as const,
      { type: 'ContactDeleted', data: { ...ref, deletedAt: 150 } } as const,
    ].reduce(lifecycleAfter, lead);
    expect(after).toEqual(lead);
  });
});
