import { fitsCharacters } from '../../shared/characters';
import type {
  ChangeSegmentRule,
  CreateSegment,
  DeleteSegment,
  RenameSegment,
  SegmentCommand,
  UpdateSegment,
} from './segment.commands';
import {
  InvalidPersonType,
  InvalidSegmentName,
  SegmentNameRequired,
  MAX_SEGMENT_NAME_LENGTH,
  SegmentAlreadyExists,
  SegmentNotFound,
} from './segment.errors';
import {
  SEGMENT_PERSON_TYPES,
  type SegmentEvent,
  type SegmentPersonType,
  type StoredSegmentRule,
} from './segment.events';
import { sameStoredRule, validateSegmentRule } from './segment.rule';
import type { ActiveSegment, SegmentState } from './segment.state';

const DEFAULT_PERSON_TYPE: SegmentPersonType = 'user';

function validName(name: unknown): string {
  if (name === undefined) throw new SegmentNameRequired();
  if (typeof name !== 'string') throw new InvalidSegmentName();
  const trimmed = name.trim();
  if (trimmed === '' || !fitsCharacters(trimmed, MAX_SEGMENT_NAME_LENGTH))
    throw new InvalidSegmentName();
  return trimmed;
}

/** A person type as a request gives it; refuses anything else. */
function validPersonType(personType: unknown): SegmentPersonType {
  const found = SEGMENT_PERSON_TYPES.find((candidate) => candidate === personType);
  if (found === undefined) throw new InvalidPersonType(personType);
  return found;
}

/**
 * The person type of a new rule (a create, or a preview of one): `user` when left out. A null is
 * refused, as every value but the three is: it is no person type.
 */
export const personTypeOfNewRule = (personType: unknown): SegmentPersonType =>
  personType === undefined ? DEFAULT_PERSON_TYPE : validPersonType(personType);

function requireActive(state: SegmentState, segmentId: string): ActiveSegment {
  if (state.status !== 'active') throw new SegmentNotFound(segmentId);
  return state;
}

const createSegment = (command: CreateSegment, state: SegmentState): SegmentEvent[] => {
  const { segmentId, workspaceId } = command.data;
  const name = validName(command.data.name);
  const personType = personTypeOfNewRule(command.data.personType);
  const stored = validateSegmentRule(
    command.data.rule,
    command.data.customAttributeType,
    command.data.timeZone,
  );
  if (state.status !== 'none') {
    // A retried create with the same body is a no-op; anything else under this id is refused.
    if (
      state.status === 'active' &&
      state.name === name &&
      state.personType === personType &&
      sameStoredRule(state, stored)
    )
      return [];
    throw new SegmentAlreadyExists(segmentId);
  }
  return [
    {
      type: 'SegmentCreated',
      data: {
        segmentId,
        workspaceId,
        name,
        personType,
        ...stored,
        ruleVersion: 1,
        createdAt: command.now,
      },
    },
  ];
};

const renameSegment = (command: RenameSegment, state: SegmentState): SegmentEvent[] => {
  const segment = requireActive(state, command.data.segmentId);
  const name = validName(command.data.name);
  if (name === segment.name) return [];
  return [
    {
      type: 'SegmentRenamed',
      data: { ...command.data, name, renamedAt: command.now },
    },
  ];
};

const changeSegmentRule = (command: ChangeSegmentRule, state: SegmentState): SegmentEvent[] => {
  const segment = requireActive(state, command.data.segmentId);
  const personType =
    command.data.personType === undefined
      ? segment.personType
      : validPersonType(command.data.personType);
  const stored: StoredSegmentRule =
    command.data.rule === undefined
      ? segment
      : validateSegmentRule(
          command.data.rule,
          command.data.customAttributeType,
          command.data.timeZone,
        );
  if (personType === segment.personType && sameStoredRule(segment, stored)) return [];
  return [
    {
      type: 'SegmentRuleChanged',
      data: {
        segmentId: segment.id,
        workspaceId: segment.workspaceId,
        personType,
        rule: stored.rule,
        attributeTypes: stored.attributeTypes,
        ...(stored.timeZone !== undefined ? { timeZone: stored.timeZone } : {}),
        ruleVersion: segment.ruleVersion + 1,
        changedAt: command.now,
      },
    },
  ];
};

/** The rule change first, then the rename, each checked before either is recorded. */
const updateSegment = (command: UpdateSegment, state: SegmentState): SegmentEvent[] => {
  const { name, ...ruleChange } = command.data;
  const { segmentId, workspaceId } = ruleChange;
  const ruleChanged = changeSegmentRule(
    { type: 'ChangeSegmentRule', data: ruleChange, now: command.now },
    state,
  );
  const renamed =
    name === undefined
      ? []
      : renameSegment(
          { type: 'RenameSegment', data: { segmentId, workspaceId, name }, now: command.now },
          state,
        );
  return [...ruleChanged, ...renamed];
};

const deleteSegment = (command: DeleteSegment, state: SegmentState): SegmentEvent[] => {
  requireActive(state, command.data.segmentId);
  return [{ type: 'SegmentDeleted', data: { ...command.data, deletedAt: command.now } }];
};

/** Decides what a command records; refuses with a `SegmentError` or a search error for a bad rule. */
export const decide = (command: SegmentCommand, state: SegmentState): readonly SegmentEvent[] => {
  switch (command.type) {
    case 'CreateSegment':
      return createSegment(command, state);
    case 'RenameSegment':
      return renameSegment(command, state);
    case 'ChangeSegmentRule':
      return changeSegmentRule(command, state);
    case 'UpdateSegment':
      return updateSegment(command, state);
    case 'DeleteSegment':
      return deleteSegment(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`Unknown segment command ${JSON.stringify(unknown)}`);
    }
  }
};
