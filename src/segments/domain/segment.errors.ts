import { ContactSearchError } from '../../contacts/search/contact-search.errors';

/**
 * Refusals of segment commands. `code` is the Intercom error code the HTTP edge answers with
 * (`not_found` → 404, `parameter_invalid` and `parameter_not_found` → 400); `field` names the
 * request field at fault.
 * A bad rule is refused with the search language's own errors (`ContactSearchError`).
 */
export type SegmentErrorCode = 'not_found' | 'parameter_invalid' | 'parameter_not_found';

export abstract class SegmentError extends Error {
  abstract readonly code: SegmentErrorCode;
  readonly field?: string;
}

export class SegmentNotFound extends SegmentError {
  override readonly name = 'SegmentNotFound';
  readonly code = 'not_found';
  override readonly field = 'id';
  constructor(readonly segmentId: string) {
    super('Resource Not Found');
  }
}

/** Creating a segment under an id that already has one (a replayed create with a new body). */
export class SegmentAlreadyExists extends SegmentError {
  override readonly name = 'SegmentAlreadyExists';
  readonly code = 'parameter_invalid';
  override readonly field = 'id';
  constructor(readonly segmentId: string) {
    super(`A segment with id ${segmentId} already exists`);
  }
}

export const MAX_SEGMENT_NAME_LENGTH = 255;

export class InvalidSegmentName extends SegmentError {
  override readonly name = 'InvalidSegmentName';
  readonly code = 'parameter_invalid';
  override readonly field = 'name';
  constructor() {
    super(`A segment name must be 1 to ${MAX_SEGMENT_NAME_LENGTH} characters, not blank`);
  }
}

export class SegmentNameRequired extends SegmentError {
  override readonly name = 'SegmentNameRequired';
  readonly code = 'parameter_not_found';
  override readonly field = 'name';
  constructor() {
    super('name is required');
  }
}

export class InvalidPersonType extends SegmentError {
  override readonly name = 'InvalidPersonType';
  readonly code = 'parameter_invalid';
  override readonly field = 'person_type';
  constructor(readonly personType: unknown) {
    super(`person_type must be 'user', 'contact' or 'all', not ${described(personType)}`);
  }
}

/**
 * A refused value as a message names it: a bare value as JSON spells it, an object or array by
 * its kind (not its whole text), and a number past a double's range (`1e309`, which JSON.parse
 * reads as Infinity) as such, where JSON.stringify would call it null.
 */
function described(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return 'an out-of-range number';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return JSON.stringify(value);
}

/**
 * A rule naming `segment_id`: membership of one segment cannot depend on another's (the
 * projection would have to order segments and could loop). Same shape as a search error.
 */
export class SegmentFieldInRule extends ContactSearchError {
  override readonly name = 'SegmentFieldInRule';
  readonly code = 'parameter_invalid';
  constructor(path: string) {
    super(path, path, `A segment rule cannot filter on 'segment_id' (at ${path})`);
  }
}
