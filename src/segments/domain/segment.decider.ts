import type { Decider } from '../../shared/decider';
import type { SegmentCommand } from './segment.commands';
import { decide } from './segment.decide';
import type { SegmentEvent } from './segment.events';
import { evolve } from './segment.evolve';
import { initialSegmentState, type SegmentState } from './segment.state';

export const segmentDecider: Decider<SegmentCommand, SegmentEvent, SegmentState> = {
  initialState: initialSegmentState,
  evolve,
  decide,
};
