import type { Decider } from '../../shared/decider';
import type { ContactCommand } from './contact.commands';
import { decide } from './contact.decide';
import type { ContactEvent } from './contact.events';
import { evolve } from './contact.evolve';
import { initialContactState, type ContactState } from './contact.state';

export const contactDecider: Decider<ContactCommand, ContactEvent, ContactState> = {
  initialState: initialContactState,
  evolve,
  decide,
};
