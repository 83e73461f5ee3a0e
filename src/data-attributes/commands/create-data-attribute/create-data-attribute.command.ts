import { Command } from '@nestjs/cqrs';
import type { DataAttributeResponse } from '../../data-attribute.response';
import type { CreateDataAttribute } from '../../domain/data-attribute.commands';

/** Answers the created attribute. */
export class CreateDataAttributeCommand extends Command<DataAttributeResponse> {
  constructor(readonly data: CreateDataAttribute['data']) {
    super();
  }
}
