import { Command } from '@nestjs/cqrs';
import type { DataAttributeResponse } from '../../data-attribute.response';
import type { UpdateDataAttribute } from '../../domain/data-attribute.commands';

/** Answers the attribute as it is after the update. */
export class UpdateDataAttributeCommand extends Command<DataAttributeResponse> {
  constructor(readonly data: UpdateDataAttribute['data']) {
    super();
  }
}
