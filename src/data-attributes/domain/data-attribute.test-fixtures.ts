import { deciderSpecification } from '../../shared/testing/decider-specification';
import { dataAttributeDecider } from './data-attribute.decider';
import type { DataAttributeCreated, DataAttributeEvent } from './data-attribute.events';
import type { DataAttributesState } from './data-attribute.state';

export const given = deciderSpecification(dataAttributeDecider);

export const workspaceId = 'ws-1';
export const T0 = 1_700_000_000;

export const fold = (events: readonly DataAttributeEvent[]): DataAttributesState =>
  events.reduce(dataAttributeDecider.evolve, dataAttributeDecider.initialState());

export const created = (
  id: number,
  name: string,
  overrides: Partial<DataAttributeCreated['data']> = {},
): DataAttributeCreated => ({
  type: 'DataAttributeCreated',
  data: {
    workspaceId,
    id,
    model: 'contact',
    name,
    label: name,
    description: null,
    data_type: 'string',
    options: null,
    messenger_writable: false,
    created_at: T0,
    ...overrides,
  },
});

export const archived = (id: number, at = T0 + 1): DataAttributeEvent => ({
  type: 'DataAttributeArchived',
  data: { workspaceId, id, archived_at: at },
});

/** `count` live string attributes named `attr-1` … */
export const manyCreated = (count: number): DataAttributeCreated[] =>
  Array.from({ length: count }, (_, index) => created(index + 1, `attr-${index + 1}`));
