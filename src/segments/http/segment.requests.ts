import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsIn, IsOptional, IsString } from 'class-validator';
import { DEFAULT_PER_PAGE } from '../../contacts/search/contact-search.parse';
import { NumberedPageQuery } from '../../contacts/http/page-query';

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

/** A rule tried before it is saved, and the page of its answer. */
class PreviewedRuleRequest {
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

export class PreviewSegmentRequest extends PreviewedRuleRequest {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description:
      'Unix seconds: the members the rule selected at that past instant, each as it was then',
  })
  @Allow()
  readonly as_of?: unknown;
}

export class PreviewSegmentHistoryRequest extends PreviewedRuleRequest {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Unix seconds: where the stretch starts (excluded)',
  })
  @Allow()
  readonly from!: unknown;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Unix seconds, up to now: where it ends (included)',
  })
  @Allow()
  readonly to!: unknown;
}

export class ListSegmentsQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Each segment with its count' })
  @IsOptional()
  @IsIn(['true', 'false'])
  readonly include_count?: 'true' | 'false';
}

export class SegmentContactsQuery extends NumberedPageQuery {
  /** Taken as it came: `asOfInstant` reads it, as it does for `GET /contacts/{id}`. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Unix seconds: the members at that instant, each as it was then',
  })
  @Allow()
  readonly as_of?: string | readonly string[];
}

export class SegmentHistoryQuery extends NumberedPageQuery {
  @ApiPropertyOptional({ description: 'Only this contact’s entries and exits' })
  @IsOptional()
  @IsString()
  readonly contact_id?: string;
}
