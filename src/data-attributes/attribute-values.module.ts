import { Module } from '@nestjs/common';
import { AttributeValuesController } from './attribute-values.controller';
import { DataAttributesModule } from './data-attributes.module';
import { DataAttributeProblems } from './data-attribute.problems';
import { ListAttributeValuesHandler } from './queries/list-attribute-values/list-attribute-values.handler';

/**
 * The attribute-values endpoint. Needs, besides what `DataAttributesModule` needs, the projection
 * runner (`ProjectionRunnerModule`, global) whose `contacts` projection keeps the counts it reads.
 */
@Module({
  imports: [DataAttributesModule],
  controllers: [AttributeValuesController],
  providers: [ListAttributeValuesHandler, DataAttributeProblems],
})
export class AttributeValuesModule {}
