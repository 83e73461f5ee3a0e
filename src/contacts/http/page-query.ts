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

/** The last page a numbered list starts at: the SDK's `page`, bounded. */
const MAX_PAGE = 1_000_000;

/**
 * The query of a list whose `pages.next` offers both `page` and `starting_after`: either is taken,
 * and both together (a client sending back all of `next`) mean the cursor's page.
 */
export class NumberedPageQuery extends PageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE,
    description:
      'The page of per_page rows to start at, without a cursor (a starting_after cursor carries its own page)',
  })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  readonly page?: number;
}
