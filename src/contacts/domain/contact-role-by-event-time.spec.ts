import { higherRole, roleReachedBy } from './contact-role-by-event-time';
import type { ContactEvent, LiveRole } from './contact.events';
import {
  becameLead,
  fold,
  ids,
  leadCreated,
  signedUp,
  visitorRegistered,
} from './contact.test-fixtures';

const registered = visitorRegistered(100);
const talked = (at: number): ContactEvent => ({
  type: 'ConversationStarted',
  data: { ...ids, startedAt: at, conversationId: null },
});
const promoted = (at: number, role: 'lead' | 'user'): ContactEvent => ({
  type: 'ContactUpdated',
  data: { ...ids, updatedAt: at, changes: { role } },
});

const timeOf = (event: ContactEvent): number =>
  roleReachedBy(event)?.at ?? (event.type === 'ConversationStarted' ? event.data.startedAt : 0);

/** What `as_of` answers at `at`: the stream's events up to then, folded in recorded order. */
const asOfRole = (stream: readonly ContactEvent[], at: number): string =>
  fold(stream.filter((event) => timeOf(event) <= at)).status;

const highestRole = (stream: readonly ContactEvent[], at: number): LiveRole | undefined =>
  stream
    .filter((event) => timeOf(event) <= at)
    .map(roleReachedBy)
    .reduce<LiveRole | undefined>(
      (held, reached) => (reached === undefined ? held : higherRole(held, reached.role)),
      undefined,
    );

describe('a contact’s role by event time', () => {
  it.each<[string, ContactEvent[]]>([
    [
      'a sign-up reported late, before the conversion',
      [registered, talked(200), becameLead(200), signedUp(150, 'lead')],
    ],
    [
      'a conversion reported late, before the sign-up',
      [registered, signedUp(150, 'visitor'), talked(120), becameLead(120)],
    ],
    [
      'a conversion and a promotion by updates',
      [registered, promoted(130, 'lead'), promoted(170, 'user'), becameLead(110)],
    ],
    ['a lead created, then signed up', [leadCreated({}, 100), signedUp(140, 'lead')]],
  ])('is the highest role its events up to then gave, as as_of folds it: %s', (_, stream) => {
    for (const at of [100, 110, 120, 130, 140, 150, 160, 170, 200])
      expect([at, highestRole(stream, at)]).toEqual([at, asOfRole(stream, at)]);
  });
});
