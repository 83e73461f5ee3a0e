import { Query } from '@nestjs/cqrs';
import type { DataAttributeListResponse } from '../../data-attribute.response';

export class ListDataAttributesQuery extends Query<DataAttributeListResponse> {
  constructor(
    readonly workspaceId: string,
    readonly model: string,
    readonly includeArchived: boolean,
  ) {
    super();
  }
}
