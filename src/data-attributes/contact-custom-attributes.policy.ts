import { Injectable } from '@nestjs/common';
import type { CustomAttributesPolicy } from '../contacts/custom-attributes-policy';
import type { CustomAttributes } from '../contacts/domain/contact.attributes';
import { ContactSearchError } from '../contacts/search/contact-search.errors';
import type { CustomAttributeTypeLookup } from '../contacts/search/contact-search.fields';
import { DataAttributeDefinitions } from './data-attribute-definitions.service';
import { dataAttributeProblem } from './data-attribute.problems';
import {
  validateCustomAttributeWrites,
  type CustomAttributeWriter,
} from './domain/custom-attribute-writes';
import { DataAttributeError } from './domain/data-attribute.errors';
import { findCustomAttribute } from './domain/data-attribute.state';

/** The contacts capability's view of the workspace's data attribute definitions. */
@Injectable()
export class ContactCustomAttributesPolicy implements CustomAttributesPolicy {
  constructor(private readonly definitions: DataAttributeDefinitions) {}

  async validate(
    workspaceId: string,
    writes: CustomAttributes,
    writer: CustomAttributeWriter = 'api',
  ): Promise<void> {
    const state = await this.definitions.forWorkspace(workspaceId);
    try {
      validateCustomAttributeWrites(state, writes, 'contact', writer);
    } catch (error) {
      if (error instanceof DataAttributeError) throw dataAttributeProblem(error);
      throw error;
    }
  }

  async searchTypes(workspaceId: string): Promise<CustomAttributeTypeLookup> {
    const state = await this.definitions.forWorkspace(workspaceId);
    return (name) => findCustomAttribute(state, 'contact', name)?.data_type;
  }

  async ruleTypes(workspaceId: string): Promise<CustomAttributeTypeLookup> {
    const state = await this.definitions.forWorkspace(workspaceId);
    return (name) => {
      const attribute = findCustomAttribute(state, 'contact', name);
      if (attribute?.archived) throw new ArchivedAttributeInRule(name);
      return attribute?.data_type;
    };
  }
}

/** A rule naming an archived custom attribute. Same shape as a search error. */
class ArchivedAttributeInRule extends ContactSearchError {
  override readonly name = 'ArchivedAttributeInRule';
  readonly code = 'parameter_invalid';
  constructor(attribute: string) {
    const field = `custom_attributes.${attribute}`;
    super(field, field, `${field} is archived: unarchive it to filter on it in a rule`);
  }
}
