import { hash } from 'node:crypto';

/**
 * Every stream name of the service, in one place. Names are `{category}-{workspaceId}.{rest}`;
 * categories contain no dash, since EventStoreDB splits categories at the first one. Projections
 * subscribe by these prefixes.
 */
export const STREAM_CATEGORIES = {
  contact: 'contact',
  identity: 'identity',
  dataAttributes: 'data_attributes',
  segment: 'segment',
  ingestion: 'ingestion',
} as const;

export const contactStreamId = (workspaceId: string, contactId: string): string =>
  `${STREAM_CATEGORIES.contact}-${workspaceId}.${contactId}`;

/** What the identity streams reserve; email is reserved among users only. */
export type IdentityKind = 'external_id' | 'email';

/**
 * The reservation stream of one identity value. The value is hashed: stream names must not carry
 * PII (erasure cannot rename streams), and hashing bounds their length.
 */
export const identityStreamId = (workspaceId: string, kind: IdentityKind, value: string): string =>
  `${STREAM_CATEGORIES.identity}-${workspaceId}.${kind === 'external_id' ? 'ext' : 'email'}.${sha256(normalizeIdentity(kind, value))}`;

export const dataAttributesStreamId = (workspaceId: string): string =>
  `${STREAM_CATEGORIES.dataAttributes}-${workspaceId}`;

/** One segment definition (segment ids are 24 hex characters, so never `clock`). */
export const segmentStreamId = (workspaceId: string, segmentId: string): string =>
  `${STREAM_CATEGORIES.segment}-${workspaceId}.${segmentId}`;

/** The workspace's segment clock: the ticks that fire time-based membership deadlines. */
export const segmentClockStreamId = (workspaceId: string): string =>
  `${STREAM_CATEGORIES.segment}-${workspaceId}.clock`;

/**
 * Where messenger ingestion records that an item was processed when processing left no event on
 * a contact stream (a throttled sighting, a repeated data event): keyed by the item's completion
 * id (a UUIDv5 of workspace and idempotency key), so the key itself never appears in a name.
 */
export const ingestionRecordStreamId = (workspaceId: string, completionId: string): string =>
  `${STREAM_CATEGORIES.ingestion}-${workspaceId}.${completionId}`;

/** Emails compare case-insensitively; external ids exactly. */
export const normalizeIdentity = (kind: IdentityKind, value: string): string =>
  kind === 'email' ? value.trim().toLowerCase() : value;

const sha256 = (value: string): string => hash('sha256', value, 'hex').slice(0, 40);

/** The `{workspaceId}` and `{rest}` of a stream name of `category`, or undefined. */
export function parseStreamId(
  category: string,
  streamId: string,
): { workspaceId: string; rest: string } | undefined {
  if (!streamId.startsWith(`${category}-`)) return undefined;
  const body = streamId.slice(category.length + 1);
  const dot = body.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return { workspaceId: body.slice(0, dot), rest: body.slice(dot + 1) };
}
