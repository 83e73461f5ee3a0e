import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { DEFAULT_PER_PAGE } from '../../contacts/search/contact-search.parse';
import { LAST_SECOND_OF_YEAR_9999 } from '../../shared/unix-time';
import { DecimalInteger } from '../../shared/decimal-integer';
import { PageQuery } from '../../contacts/http/page-query';

/*
 * Names, person types and rules are validated by the segment decider (with the search
 * language's errors for rules); the request classes only refuse unknown fields and shape
 * query parameters.
 */

export class CreateSegmentRequest {
  @ApiProperty({ type: String, example: 'Signed up this week' })
  @Allow()
  readonly name!: unknown;

  @ApiPropertyOptional({ type: String, enum: ['user', 'contact', 'all'], default: 'user' })
  @Allow()
  readonly person_type?: unknown;

  @ApiProperty({
    description: 'A search query (POST /contacts/search) plus the rule operators',
    example: { field: 'signed_up_at', operator: 'less_than_days_ago', value: 7 },
  })
  @Allow()
  readonly rule!: unknown;
}

export class UpdateSegmentRequest {
  @ApiPropertyOptional({ type: String })
  @Allow()
  readonly name?: unknown;

  @ApiPropertyOptional({ type: String, enum: ['user', 'contact', 'all'] })
  @Allow()
  readonly person_type?: unknown;

  @ApiPropertyOptional({ description: 'Replaces the rule; the rule version increases' })
  @Allow()
  readonly rule?: unknown;
}

export class PreviewSegmentRequest {
  @ApiPropertyOptional({ type: String, enum: ['user', 'contact', 'all'], default: 'user' })
  @Allow()
  readonly person_type?: unknown;

  @ApiProperty()
  @Allow()
  readonly rule!: unknown;

  @ApiPropertyOptional({ example: { per_page: DEFAULT_PER_PAGE } })
  @Allow()
  readonly pagination?: unknown;
}

export class ListSegmentsQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Each segment with its count' })
  @IsOptional()
  @IsIn(['true', 'false'])
  readonly include_count?: 'true' | 'false';
}

export class SegmentContactsQuery extends PageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: LAST_SECOND_OF_YEAR_9999,
    description: 'Unix seconds: the members at that instant',
  })
  @IsOptional()
  @DecimalInteger()
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  readonly as_of?: number;
}

export class SegmentHistoryQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only this contact’s entries and exits' })
  @IsOptional()
  @IsString()
  readonly contact_id?: string;
}
