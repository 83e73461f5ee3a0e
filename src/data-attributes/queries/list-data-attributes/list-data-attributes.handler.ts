import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataAttributeDefinitions } from '../../data-attribute-definitions.service';
import {
  presentBuiltInAttribute,
  presentCustomAttribute,
  type DataAttributeListResponse,
} from '../../data-attribute.response';
import { BUILT_IN_CONTACT_ATTRIBUTES } from '../../domain/built-in-contact-attributes';
import { requireSupportedModel } from '../../domain/data-attribute.decide';
import { customAttributesOf } from '../../domain/data-attribute.state';
import { ConversationModelRetired } from '../../domain/data-attribute.errors';
import { ListDataAttributesQuery } from './list-data-attributes.query';

/** Built-in attributes first, then custom ones in id order, as Intercom lists them. */
@QueryHandler(ListDataAttributesQuery)
export class ListDataAttributesHandler implements IQueryHandler<ListDataAttributesQuery> {
  constructor(private readonly definitions: DataAttributeDefinitions) {}

  async execute(query: ListDataAttributesQuery): Promise<DataAttributeListResponse> {
    if (query.model === 'conversation') throw new ConversationModelRetired();
    const model = requireSupportedModel(query.model);
    const state = await this.definitions.forWorkspace(query.workspaceId);
    return {
      type: 'list',
      data: [
        ...BUILT_IN_CONTACT_ATTRIBUTES.map((attribute) =>
          presentBuiltInAttribute(attribute, model),
        ),
        ...customAttributesOf(state, model, { includeArchived: query.includeArchived }).map(
          presentCustomAttribute,
        ),
      ],
    };
  }
}
