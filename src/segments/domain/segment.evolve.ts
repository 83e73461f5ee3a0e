import type { SegmentEvent } from './segment.events';
import type { SegmentState } from './segment.state';

/** Folds one event into the state. Total: an event that does not apply leaves the state as is. */
export const evolve = (state: SegmentState, event: SegmentEvent): SegmentState => {
  switch (event.type) {
    case 'SegmentCreated': {
      if (state.status !== 'none') return state;
      const { segmentId, workspaceId, name, personType, rule, attributeTypes, ruleVersion } =
        event.data;
      const { timeZone } = event.data;
      return {
        status: 'active',
        id: segmentId,
        workspaceId,
        name,
        personType,
        rule,
        attributeTypes,
        ...(timeZone !== undefined ? { timeZone } : {}),
        ruleVersion,
        createdAt: event.data.createdAt,
        updatedAt: event.data.createdAt,
      };
    }
    case 'SegmentRenamed':
      return state.status === 'active'
        ? { ...state, name: event.data.name, updatedAt: event.data.renamedAt }
        : state;
    case 'SegmentRuleChanged':
      return state.status === 'active'
        ? {
            ...state,
            personType: event.data.personType,
            rule: event.data.rule,
            attributeTypes: event.data.attributeTypes,
            timeZone: event.data.timeZone,
            ruleVersion: event.data.ruleVersion,
            updatedAt: event.data.changedAt,
          }
        : state;
    case 'SegmentDeleted':
      return state.status === 'active'
        ? {
            status: 'deleted',
            id: state.id,
            workspaceId: state.workspaceId,
            deletedAt: event.data.deletedAt,
          }
        : state;
  }
};
