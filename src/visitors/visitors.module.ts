import { Module } from '@nestjs/common';
import { DataAttributesModule } from '../data-attributes/data-attributes.module';
import { IdentityResolutionModule } from '../identity-resolution/identity-resolution.module';
import { ConvertVisitorHandler } from './commands/convert-visitor/convert-visitor.handler';
import { UpdateVisitorHandler } from './commands/update-visitor/update-visitor.handler';
import { VisitorReadModel } from './queries/visitor-read-model';
import { VisitorReferences } from './visitor-reference';
import { VisitorsController } from './visitors.controller';

const commandHandlers = [UpdateVisitorHandler, ConvertVisitorHandler];
const services = [VisitorReadModel, VisitorReferences];

/** Intercom's Visitors API: retrieve, update, convert (to lead or user, or merge into a user). */
@Module({
  imports: [IdentityResolutionModule, DataAttributesModule],
  controllers: [VisitorsController],
  providers: [...commandHandlers, ...services],
})
export class VisitorsModule {}
