import { Module } from '@nestjs/common';
import { AttributeValuesController } from './attribute-values.controller';
import { DataAttributesModule } from './data-attributes.module';
import { AttributeValuesProblems } from './queries/list-attribute-values/attribute-values.errors';
import { ListAttributeValuesHandler } from './queries/list-attribute-values/list-attribute-values.handler';

/**
 * The attribute-values endpoint. Needs, besides what `DataAttributesModule` needs, the projection
 * runner (`ProjectionRunnerModule`, global) whose `attribute_values` projection it reads.
 */
@Module({
  imports: [DataAttributesModule],
  controllers: [AttributeValuesController],
  providers: [ListAttributeValuesHandler, AttributeValuesProblems],
})
export class AttributeValuesModule {}
