/**
 * One stream of definitions per workspace. The category `data_attributes` has no dash, so
 * EventStoreDB's category split (at the first dash) groups every workspace's definitions.
 */
export const DATA_ATTRIBUTES_CATEGORY = 'data_attributes';

export const dataAttributesStream = (workspaceId: string): string =>
  `${DATA_ATTRIBUTES_CATEGORY}-${workspaceId}`;
