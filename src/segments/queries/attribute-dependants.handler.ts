import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AttributeDependantsQuery } from '../../data-attributes/queries/attribute-dependants/attribute-dependants.query';
import { SegmentReadModel } from './segment-read-model';

/** The segments whose rules filter on a custom attribute (its type is stored with the rule). */
@QueryHandler(AttributeDependantsQuery)
export class AttributeDependantsHandler implements IQueryHandler<AttributeDependantsQuery> {
  constructor(private readonly segments: SegmentReadModel) {}

  async execute({ workspaceId, name }: AttributeDependantsQuery): Promise<readonly string[]> {
    const segments = await this.segments.listSegments(workspaceId);
    return segments
      .filter((segment) => Object.hasOwn(attributeTypesOf(segment.attribute_types), name))
      .map((segment) => segment.name);
  }
}

/** JSON text on SQLite, parsed already on PostgreSQL. */
const attributeTypesOf = (stored: unknown): Record<string, unknown> =>
  (typeof stored === 'string' ? JSON.parse(stored) : (stored ?? {})) as Record<string, unknown>;
