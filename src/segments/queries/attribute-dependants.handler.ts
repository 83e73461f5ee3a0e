import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { SEGMENT_MEMBERSHIP_PROJECTION } from '../../../projections/segment-membership/segment-membership.projection';
import { Environment } from '../../config/environment';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { EVENT_STORE, type EventStore } from '../../shared/event-store/event-store.port';
import { HttpProblem } from '../../shared/http/intercom-error';
import { AttributeDependantsQuery } from '../../data-attributes/queries/attribute-dependants/attribute-dependants.query';
import { SegmentReadModel } from './segment-read-model';

/**
 * The segments whose rules filter on a custom attribute (its type is stored with the rule), as
 * of every segment written so far: the segments read model is waited for up to the log's head,
 * so that a rule appended just before (see `RuleAttributesSequencer`) is among them.
 */
@QueryHandler(AttributeDependantsQuery)
export class AttributeDependantsHandler implements IQueryHandler<AttributeDependantsQuery> {
  constructor(
    private readonly segments: SegmentReadModel,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    private readonly environment: Environment,
  ) {}

  async execute({ workspaceId, name }: AttributeDependantsQuery): Promise<readonly string[]> {
    const head = await this.store.headPosition();
    const timeoutMs = this.environment.READ_YOUR_WRITES_TIMEOUT_MS;
    if (!(await this.runner.waitFor(head, timeoutMs, [SEGMENT_MEMBERSHIP_PROJECTION]))) {
      throw new HttpProblem(
        503,
        [
          {
            code: 'service_unavailable',
            message: 'The segments are being brought up to date; retry the request',
          },
        ],
        { 'Retry-After': '1' },
      );
    }
    const segments = await this.segments.listSegments(workspaceId);
    return segments
      .filter((segment) => Object.hasOwn(attributeTypesOf(segment.attribute_types), name))
      .map((segment) => segment.name);
  }
}

/** JSON text on SQLite, parsed already on PostgreSQL. */
const attributeTypesOf = (stored: unknown): Record<string, unknown> =>
  (typeof stored === 'string' ? JSON.parse(stored) : (stored ?? {})) as Record<string, unknown>;
