import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Min } from 'class-validator';
import {
  IsOptionList,
  OPTION_LIST_SCHEMA,
  type OptionInput,
} from '../../data-attribute.request-fields';
import { DecimalInteger } from '../../../shared/decimal-integer';
import {
  MAX_DESCRIPTION_CHARACTERS,
  MAX_OPTIONS,
  MAX_STRING_VALUE_LENGTH,
  MIN_OPTIONS,
} from '../../domain/data-attribute.types';

export class DataAttributeIdParams {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  @DecimalInteger({ oneSpelling: true })
  @IsInt()
  @Min(1)
  readonly data_attribute_id!: number;
}

/** Intercom's `update_data_attribute_request`. */
export class UpdateDataAttributeRequest {
  @ApiPropertyOptional({ description: 'Archive (true) or unarchive (false)' })
  @IsOptional()
  @IsBoolean()
  readonly archived?: boolean;

  @ApiPropertyOptional({ description: `At most ${MAX_DESCRIPTION_CHARACTERS} characters` })
  @IsOptional()
  @IsString()
  readonly description?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  readonly messenger_writable?: boolean;

  @ApiPropertyOptional({
    ...OPTION_LIST_SCHEMA,
    description: `Replaces the options of a list attribute: ${MIN_OPTIONS} to ${MAX_OPTIONS}, each at most ${MAX_STRING_VALUE_LENGTH} characters`,
  })
  @IsOptional()
  @IsOptionList()
  readonly options?: OptionInput[];

  @ApiPropertyOptional({
    description: 'Accepted only if it is the current type: the data type cannot change',
  })
  @IsOptional()
  @IsString()
  readonly data_type?: string;
}
