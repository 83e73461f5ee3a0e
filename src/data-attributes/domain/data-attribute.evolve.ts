import type { DataAttributeEvent } from './data-attribute.events';
import { nameKey, type DataAttributesState } from './data-attribute.state';
import type { CustomDataAttribute } from './data-attribute.types';

const withAttribute = (
  state: DataAttributesState,
  attribute: CustomDataAttribute,
): DataAttributesState => ({
  ...state,
  attributes: new Map(state.attributes).set(attribute.id, attribute),
});

/** Changes one known attribute; an event for an unknown id (never written by `decide`) is ignored. */
const changing = (
  state: DataAttributesState,
  id: number,
  change: (attribute: CustomDataAttribute) => CustomDataAttribute,
): DataAttributesState => {
  const attribute = state.attributes.get(id);
  return attribute ? withAttribute(state, change(attribute)) : state;
};

export const evolve = (
  state: DataAttributesState,
  event: DataAttributeEvent,
): DataAttributesState => {
  switch (event.type) {
    case 'DataAttributeCreated': {
      const { workspaceId: _workspaceId, created_at, ...definition } = event.data;
      return {
        attributes: new Map(state.attributes).set(definition.id, {
          ...definition,
          archived: false,
          created_at,
          updated_at: created_at,
        }),
        idsByName: new Map(state.idsByName).set(
          nameKey(definition.model, definition.name),
          definition.id,
        ),
        lastId: Math.max(state.lastId, definition.id),
      };
    }
    case 'DataAttributeUpdated':
      return changing(state, event.data.id, (attribute) => ({
        ...attribute,
        ...event.data.changes,
        updated_at: event.data.updated_at,
      }));
    case 'DataAttributeArchived':
      return changing(state, event.data.id, (attribute) => ({
        ...attribute,
        archived: true,
        updated_at: event.data.archived_at,
      }));
    case 'DataAttributeUnarchived':
      return changing(state, event.data.id, (attribute) => ({
        ...attribute,
        archived: false,
        updated_at: event.data.unarchived_at,
      }));
  }
};
