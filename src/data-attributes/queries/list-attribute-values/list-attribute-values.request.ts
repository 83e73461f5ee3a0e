import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { DecimalInteger } from '../../../shared/decimal-integer';

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 150;

/** api.md's cursor pagination. */
export class ListAttributeValuesRequest {
  @ApiPropertyOptional({ default: DEFAULT_PER_PAGE, minimum: 1, maximum: MAX_PER_PAGE })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  readonly per_page?: number;

  @ApiPropertyOptional({ description: 'The `pages.next.starting_after` of the previous page' })
  @IsOptional()
  @IsString()
  readonly starting_after?: string;
}
