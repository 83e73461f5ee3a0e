import {
  customAttributesOf,
  findCustomAttribute,
  liveCustomAttributeCount,
} from './data-attribute.state';
import { T0, archived, created, fold, workspaceId } from './data-attribute.test-fixtures';

describe('data attribute evolve', () => {
  const state = fold([
    created(1, 'plan', { options: ['free', 'pro'] }),
    created(2, 'seats', { data_type: 'integer' }),
    {
      type: 'DataAttributeUpdated',
      data: {
        workspaceId,
        id: 1,
        changes: { description: 'Plan', options: ['a', 'b'] },
        updated_at: T0 + 5,
      },
    },
    archived(2, T0 + 6),
  ]);

  it('folds creations, updates and archiving into definitions', () => {
    expect(findCustomAttribute(state, 'contact', 'plan')).toEqual({
      id: 1,
      model: 'contact',
      name: 'plan',
      label: 'plan',
      description: 'Plan',
      data_type: 'string',
      options: ['a', 'b'],
      messenger_writable: false,
      archived: false,
      created_at: T0,
      updated_at: T0 + 5,
    });
    expect(findCustomAttribute(state, 'contact', 'seats')).toMatchObject({
      archived: true,
      updated_at: T0 + 6,
    });
    expect(state.lastId).toBe(2);
  });

  it('lists live attributes in id order, archived ones on request, and counts live ones', () => {
    expect(
      customAttributesOf(state, 'contact', { includeArchived: false }).map((a) => a.id),
    ).toEqual([1]);
    expect(
      customAttributesOf(state, 'contact', { includeArchived: true }).map((a) => a.id),
    ).toEqual([1, 2]);
    expect(liveCustomAttributeCount(state)).toBe(1);
  });

  it('unarchives', () => {
    const again = fold([
      created(1, 'plan'),
      archived(1),
      { type: 'DataAttributeUnarchived', data: { workspaceId, id: 1, unarchived_at: T0 + 9 } },
    ]);
    expect(findCustomAttribute(again, 'contact', 'plan')).toMatchObject({
      archived: false,
      updated_at: T0 + 9,
    });
  });
});
