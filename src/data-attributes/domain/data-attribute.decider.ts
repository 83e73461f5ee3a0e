import type { Decider } from '../../shared/decider';
import type { DataAttributeCommand } from './data-attribute.commands';
import { decide } from './data-attribute.decide';
import type { DataAttributeEvent } from './data-attribute.events';
import { evolve } from './data-attribute.evolve';
import { initialDataAttributesState, type DataAttributesState } from './data-attribute.state';

export const dataAttributeDecider: Decider<
  DataAttributeCommand,
  DataAttributeEvent,
  DataAttributesState
> = {
  initialState: initialDataAttributesState,
  evolve,
  decide,
};
