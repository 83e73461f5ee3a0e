import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { DecimalInteger } from '../../shared/decimal-integer';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from '../search/contact-search.parse';

/** The page size of a list, as every list of the API takes it. */
export class PerPageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PER_PAGE,
    default: DEFAULT_PER_PAGE,
  })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_PER_PAGE)
  readonly per_page?: number;
}

/** The query of a cursor-paged list: `per_page` and the `starting_after` of the page before. */
export class PageQuery extends PerPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  readonly starting_after?: string;
}
