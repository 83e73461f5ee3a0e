import { Injectable } from '@nestjs/common';
import type { CustomAttributesPolicy } from '../contacts/custom-attributes-policy';
import type { CustomAttributes } from '../contacts/domain/contact.attributes';
import type { CustomAttributeTypeLookup } from '../contacts/search/contact-search.fields';
import { DataAttributeDefinitions } from './data-attribute-definitions.service';
import { dataAttributeProblem } from './data-attribute.problems';
import { validateCustomAttributeWrites } from './domain/custom-attribute-writes';
import { DataAttributeError } from './domain/data-attribute.errors';
import { findCustomAttribute } from './domain/data-attribute.state';

/** The contacts capability's view of the workspace's data attribute definitions. */
@Injectable()
export class ContactCustomAttributesPolicy implements CustomAttributesPolicy {
  constructor(private readonly definitions: DataAttributeDefinitions) {}

  async validate(workspaceId: string, writes: CustomAttributes): Promise<void> {
    const state = await this.definitions.forWorkspace(workspaceId);
    try {
      validateCustomAttributeWrites(state, writes);
    } catch (error) {
      if (error instanceof DataAttributeError) throw dataAttributeProblem(error);
      throw error;
    }
  }

  async searchTypes(workspaceId: string): Promise<CustomAttributeTypeLookup> {
    const state = await this.definitions.forWorkspace(workspaceId);
    return (name) => findCustomAttribute(state, 'contact', name)?.data_type;
  }
}
