import { Module } from '@nestjs/common';
import { CUSTOM_ATTRIBUTES_POLICY } from '../contacts/custom-attributes-policy';
import { ContactCustomAttributesPolicy } from './contact-custom-attributes.policy';
import { CreateDataAttributeHandler } from './commands/create-data-attribute/create-data-attribute.handler';
import { UpdateDataAttributeHandler } from './commands/update-data-attribute/update-data-attribute.handler';
import { DataAttributeDefinitions } from './data-attribute-definitions.service';
import { DataAttributeProblems } from './data-attribute.problems';
import { DataAttributesController } from './data-attributes.controller';
import { ListDataAttributesHandler } from './queries/list-data-attributes/list-data-attributes.handler';
import { RuleAttributesSequencer } from './rule-attributes-sequencer';

const commandHandlers = [CreateDataAttributeHandler, UpdateDataAttributeHandler];
const queryHandlers = [ListDataAttributesHandler];

/**
 * Data attribute definitions and their HTTP API. Needs, from the app: `CqrsModule.forRoot()`,
 * a global `EVENT_STORE` and `CLOCK`, the workspace guard, and a handler of
 * `AttributeDependantsQuery` (the segments module's). Exports `DataAttributeDefinitions`
 * for the contacts layer's custom attribute checks, and `RuleAttributesSequencer` for segment
 * rule writes.
 */
@Module({
  controllers: [DataAttributesController],
  providers: [
    ...commandHandlers,
    ...queryHandlers,
    DataAttributeDefinitions,
    DataAttributeProblems,
    RuleAttributesSequencer,
    { provide: CUSTOM_ATTRIBUTES_POLICY, useClass: ContactCustomAttributesPolicy },
  ],
  exports: [DataAttributeDefinitions, CUSTOM_ATTRIBUTES_POLICY, RuleAttributesSequencer],
})
export class DataAttributesModule {}
