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
    return (name, at) => {
      const attribute = findCustomAttribute(state, 'contact', name);
      if (attribute?.archived) throw new ArchivedAttributeInRule(name, at);
      return attribute?.data_type;
    };
  }
}

/** A rule naming an archived custom attribute at `path`. Same shape as a search error. */
class ArchivedAttributeInRule extends ContactSearchError {
  override readonly name = 'ArchivedAttributeInRule';
  readonly code = 'parameter_invalid';
  constructor(attribute: string, path: string) {
    super(
      path,
      path,
      `custom_attributes.${attribute} is archived (at ${path}): unarchive it to filter on it in a rule`,
    );
  }
}
