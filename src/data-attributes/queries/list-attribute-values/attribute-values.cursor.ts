import { createHash } from 'node:crypto';
import { fitsIntegerColumn } from '../../../shared/integer-column';
import { isStorableText } from '../../../shared/storable-text';
import { InvalidAttributeValuesCursor } from './attribute-values.errors';

/** Where a page ended: its last value and that value's count, and the number of the next page. */
export interface AttributeValuesCursor {
  readonly page: number;
  readonly count: number;
  /** The value column's text (JSON), the unique tie-breaker of the order. */
  readonly value: string;
}

interface Payload {
  readonly p: number;
  readonly a: string;
  readonly c: number;
  readonly v: string;
}

/**
 * Not a secret: the digest only turns a garbled or hand-edited cursor into a 400 rather than a
 * silently different page, and ties a cursor to the attribute it pages through.
 */
const digest = (text: string): string =>
  createHash('sha256').update(`attribute-values-cursor:${text}`).digest('base64url').slice(0, 16);

export function encodeAttributeValuesCursor(
  cursor: AttributeValuesCursor,
  attribute: string,
): string {
  const payload: Payload = { p: cursor.page, a: attribute, c: cursor.count, v: cursor.value };
  const body = JSON.stringify(payload);
  return Buffer.from(JSON.stringify([body, digest(body)])).toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Throws {@link InvalidAttributeValuesCursor} unless this endpoint made `text` for `attribute`. */
export function decodeAttributeValuesCursor(
  text: string,
  attribute: string,
): AttributeValuesCursor {
  if (!BASE64URL.test(text)) throw new InvalidAttributeValuesCursor('not a cursor');
  let payload: unknown;
  try {
    const envelope: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(envelope) || envelope.length !== 2 || typeof envelope[0] !== 'string')
      throw new InvalidAttributeValuesCursor('not a cursor');
    if (envelope[1] !== digest(envelope[0]))
      throw new InvalidAttributeValuesCursor('it was altered');
    payload = JSON.parse(envelope[0]);
  } catch (error) {
    if (error instanceof InvalidAttributeValuesCursor) throw error;
    throw new InvalidAttributeValuesCursor('not a cursor');
  }
  if (!isPayload(payload)) throw new InvalidAttributeValuesCursor('not a cursor');
  if (payload.a !== attribute)
    throw new InvalidAttributeValuesCursor('it belongs to another data attribute');
  return { page: payload.p, count: payload.c, value: payload.v };
}

function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    Object.keys(candidate).length === 4 &&
    typeof candidate.p === 'number' &&
    Number.isSafeInteger(candidate.p) &&
    candidate.p >= 2 &&
    typeof candidate.a === 'string' &&
    typeof candidate.c === 'number' &&
    fitsIntegerColumn(candidate.c) &&
    typeof candidate.v === 'string' &&
    isStorableText(candidate.v)
  );
}
