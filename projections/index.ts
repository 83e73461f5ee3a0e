import type { AnyProjection } from '../src/projection-runner/projection';

/** Every read-model projection the service runs. */
export const PROJECTIONS: readonly AnyProjection[] = [];
