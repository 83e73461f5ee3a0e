import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { BuiltInDataAttribute } from './domain/built-in-contact-attributes';
import {
  DATA_ATTRIBUTE_MODELS,
  DATA_TYPES,
  type CustomDataAttribute,
  type DataAttributeModel,
  type DataType,
} from './domain/data-attribute.types';

/** Intercom's `data_attribute` object. */
export class DataAttributeResponse {
  @ApiProperty({ enum: ['data_attribute'] })
  readonly type!: 'data_attribute';

  @ApiPropertyOptional({ description: 'Only custom attributes have an id', example: 12 })
  readonly id?: number;

  @ApiProperty({ enum: DATA_ATTRIBUTE_MODELS })
  readonly model!: DataAttributeModel;

  @ApiProperty({ example: 'paid_subscriber' })
  readonly name!: string;

  @ApiProperty({ example: 'custom_attributes.paid_subscriber' })
  readonly full_name!: string;

  @ApiProperty({ example: 'paid_subscriber' })
  readonly label!: string;

  @ApiPropertyOptional()
  readonly description?: string;

  @ApiProperty({ enum: DATA_TYPES })
  readonly data_type!: DataType;

  @ApiPropertyOptional({ type: [String], description: 'The values a list attribute allows' })
  readonly options?: readonly string[];

  @ApiProperty()
  readonly api_writable!: boolean;

  @ApiProperty()
  readonly messenger_writable!: boolean;

  @ApiProperty()
  readonly ui_writable!: boolean;

  @ApiProperty()
  readonly custom!: boolean;

  @ApiProperty()
  readonly archived!: boolean;

  @ApiPropertyOptional({ description: 'Unix seconds; custom attributes only' })
  readonly created_at?: number;

  @ApiPropertyOptional({ description: 'Unix seconds; custom attributes only' })
  readonly updated_at?: number;
}

/** Intercom's `data_attribute_list`. */
export class DataAttributeListResponse {
  @ApiProperty({ enum: ['list'] })
  readonly type!: 'list';

  @ApiProperty({ type: [DataAttributeResponse] })
  readonly data!: readonly DataAttributeResponse[];
}

export const presentCustomAttribute = (attribute: CustomDataAttribute): DataAttributeResponse => ({
  type: 'data_attribute',
  id: attribute.id,
  model: attribute.model,
  name: attribute.name,
  full_name: `custom_attributes.${attribute.name}`,
  label: attribute.label,
  ...(attribute.description !== null ? { description: attribute.description } : {}),
  data_type: attribute.data_type,
  ...(attribute.options !== null ? { options: attribute.options } : {}),
  api_writable: true,
  messenger_writable: attribute.messenger_writable,
  ui_writable: false,
  custom: true,
  archived: attribute.archived,
  created_at: attribute.created_at,
  updated_at: attribute.updated_at,
});

export const presentBuiltInAttribute = (
  attribute: BuiltInDataAttribute,
  model: DataAttributeModel,
): DataAttributeResponse => ({
  type: 'data_attribute',
  model,
  ...attribute,
  custom: false,
  archived: false,
});
