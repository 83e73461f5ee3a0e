import type { UnixSeconds } from '../../contacts/domain/contact.attributes';
import type { SegmentPersonType, StoredSegmentRule } from './segment.events';

export interface NoSegment {
  readonly status: 'none';
}

export interface ActiveSegment extends StoredSegmentRule {
  readonly status: 'active';
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly personType: SegmentPersonType;
  readonly ruleVersion: number;
  readonly createdAt: UnixSeconds;
  readonly updatedAt: UnixSeconds;
}

export interface DeletedSegment {
  readonly status: 'deleted';
  readonly id: string;
  readonly workspaceId: string;
  readonly deletedAt: UnixSeconds;
}

export type SegmentState = NoSegment | ActiveSegment | DeletedSegment;

export const initialSegmentState = (): SegmentState => ({ status: 'none' });
