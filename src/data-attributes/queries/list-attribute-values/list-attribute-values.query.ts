import { Query } from '@nestjs/cqrs';
import type { AttributeValueListResponse } from './attribute-value-list.response';

export class ListAttributeValuesQuery extends Query<AttributeValueListResponse> {
  constructor(
    readonly workspaceId: string,
    /** As given in the path: a custom attribute's integer id or a built-in's name. */
    readonly attributeId: string,
    readonly perPage: number,
    readonly startingAfter: string | undefined,
    /** `X-Min-Position`: answer only once the read model has passed it. */
    readonly minPosition: bigint | undefined,
  ) {
    super();
  }
}
