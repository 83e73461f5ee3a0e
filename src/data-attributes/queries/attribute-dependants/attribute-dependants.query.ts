import { Query } from '@nestjs/cqrs';

/**
 * What reads the custom attribute `name` of a workspace (the names of the segments whose rules
 * filter on it): archiving the attribute is refused while anything does. Answered by the module
 * that owns the dependants (segments), so this one needs not know them.
 */
export class AttributeDependantsQuery extends Query<readonly string[]> {
  constructor(
    readonly workspaceId: string,
    readonly name: string,
  ) {
    super();
  }
}
