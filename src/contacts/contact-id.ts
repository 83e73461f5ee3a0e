import { randomBytes } from 'node:crypto';

/**
 * Contact ids: 24 lowercase hex characters, time-ordered (8 hex of unix seconds, then 16 random),
 * like Intercom's. Time order keeps inserts at the end of the id index.
 */
export function newContactId(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  return `${seconds}${randomBytes(8).toString('hex')}`;
}

export const CONTACT_ID_PATTERN = /^[0-9a-f]{24}$/;
