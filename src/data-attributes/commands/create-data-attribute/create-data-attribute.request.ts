import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import {
  MAX_DESCRIPTION_CHARACTERS,
  MAX_OPTIONS,
  MAX_STRING_VALUE_LENGTH,
  MIN_OPTIONS,
  REQUESTED_DATA_TYPES,
} from '../../domain/data-attribute.types';
import {
  IsOptionList,
  OPTION_LIST_SCHEMA,
  type OptionInput,
} from '../../data-attribute.request-fields';

/** Intercom's `create_data_attribute_request`; the decider judges model, name and type. */
export class CreateDataAttributeRequest {
  @ApiProperty({ example: 'My Data Attribute' })
  @IsString()
  readonly name!: string;

  @ApiProperty({
    enum: ['contact', 'company'],
    description: 'Only contact attributes are supported',
  })
  @IsString()
  readonly model!: string;

  @ApiProperty({
    enum: REQUESTED_DATA_TYPES,
    description: '`datetime` is stored as `date`; `options` makes a list attribute',
  })
  @IsString()
  readonly data_type!: string;

  @ApiPropertyOptional({
    example: 'My Data Attribute Description',
    description: `At most ${MAX_DESCRIPTION_CHARACTERS} characters`,
  })
  @IsOptional()
  @IsString()
  readonly description?: string;

  @ApiPropertyOptional({
    ...OPTION_LIST_SCHEMA,
    description: `${MIN_OPTIONS} to ${MAX_OPTIONS}, each at most ${MAX_STRING_VALUE_LENGTH} characters; for data_type options or string`,
  })
  @IsOptional()
  @IsOptionList()
  readonly options?: OptionInput[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  readonly messenger_writable?: boolean;
}
