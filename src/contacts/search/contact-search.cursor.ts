import { createHash } from 'node:crypto';
import { isStorableText } from '../../shared/storable-text';
import { InvalidSearchCursor } from './contact-search.errors';
import type { SearchFieldType } from './contact-search.fields';
import type { SearchNode, SearchSort } from './contact-search.query';

/** Where a page ended: the last row's sort value and id, and the number of the page that follows. */
export interface SearchCursor {
  readonly page: number;
  readonly value: string | number | null;
  readonly id: string;
}

interface CursorPayload {
  readonly p: number;
  readonly f: string;
  readonly o: string;
  readonly q: string;
  readonly v: string | number | null;
  readonly i: string;
}

/**
 * Not a secret: the check digest only makes a garbled or hand-edited cursor a 400 instead of a
 * silently different page. A cursor reveals nothing the caller could not already read.
 */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/**
 * Cursors only continue the query and sort they came from, in the scope that ran it (its
 * workspace, and what else decided its rows).
 */
function fingerprint(query: SearchNode, sort: SearchSort, scope: string): string {
  return digest(JSON.stringify([query, sort.field.name, sort.order, scope]));
}

export function encodeSearchCursor(
  cursor: SearchCursor,
  query: SearchNode,
  sort: SearchSort,
  scope: string,
): string {
  const payload: CursorPayload = {
    p: cursor.page,
    f: sort.field.name,
    o: sort.order,
    q: fingerprint(query, sort, scope),
    v: cursor.value,
    i: cursor.id,
  };
  const body = JSON.stringify(payload);
  return Buffer.from(JSON.stringify([body, digest(`contact-search-cursor:${body}`)])).toString(
    'base64url',
  );
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Throws {@link InvalidSearchCursor} unless `text` is a cursor this query and sort produced. */
export function decodeSearchCursor(
  text: string,
  query: SearchNode,
  sort: SearchSort,
  scope: string,
): SearchCursor {
  if (!BASE64URL.test(text)) throw new InvalidSearchCursor('not a cursor');
  let envelope: unknown;
  let payload: unknown;
  try {
    envelope = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(envelope) || envelope.length !== 2 || typeof envelope[0] !== 'string') {
      throw new InvalidSearchCursor('not a cursor');
    }
    if (envelope[1] !== digest(`contact-search-cursor:${envelope[0]}`))
      throw new InvalidSearchCursor('it was altered');
    payload = JSON.parse(envelope[0]);
  } catch (error) {
    if (error instanceof InvalidSearchCursor) throw error;
    throw new InvalidSearchCursor('not a cursor');
  }
  if (!isPayload(payload)) throw new InvalidSearchCursor('not a cursor');
  if (
    payload.f !== sort.field.name ||
    payload.o !== sort.order ||
    payload.q !== fingerprint(query, sort, scope)
  ) {
    throw new InvalidSearchCursor('it belongs to another query or sort');
  }
  if (!fitsSortField(payload.v, sort.field.type) || !isStorableText(payload.i)) {
    throw new InvalidSearchCursor('its position does not fit the sort field');
  }
  return { page: payload.p, value: payload.v, id: payload.i };
}

/**
 * Whether a sort value could have come from a row: the digest is no secret, so a cursor may be
 * forged, and its value must not reach the database as something the column cannot hold.
 */
function fitsSortField(value: string | number | null, type: SearchFieldType): boolean {
  if (value === null) return true;
  switch (type) {
    case 'string':
      return typeof value === 'string' && isStorableText(value);
    case 'float':
      return typeof value === 'number';
    case 'integer':
    case 'date':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'boolean':
      // Boolean columns, and the expression a custom boolean sorts by, hold 0 or 1 (integer).
      return value === 0 || value === 1;
  }
}

function isPayload(value: unknown): value is CursorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    Object.keys(candidate).length === 6 &&
    typeof candidate.p === 'number' &&
    Number.isSafeInteger(candidate.p) &&
    candidate.p >= 2 &&
    typeof candidate.f === 'string' &&
    typeof candidate.o === 'string' &&
    typeof candidate.q === 'string' &&
    typeof candidate.i === 'string' &&
    candidate.i !== '' &&
    (candidate.v === null ||
      typeof candidate.v === 'string' ||
      (typeof candidate.v === 'number' && Number.isFinite(candidate.v)))
  );
}
