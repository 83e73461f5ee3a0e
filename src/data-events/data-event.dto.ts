import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { LAST_SECOND_OF_YEAR_9999 } from '../shared/unix-time';
import { PageQuery } from '../contacts/http/page-query';

/** The largest count a summary reports. */
const MAX_COUNT = 2_147_483_647;

/** An event's name, as Intercom takes it: up to 255 characters, not blank. */
const IsEventName = () =>
  applyDecorators(
    IsString(),
    MaxLength(255),
    Matches(/\S/, { message: 'event_name must not be blank' }),
  );

export class CreateDataEventDto {
  @ApiProperty({ example: 'invited-friend' })
  @IsEventName()
  event_name!: string;

  @ApiProperty({ description: 'Unix seconds' })
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  created_at!: number;

  @ApiPropertyOptional({ description: 'The external_id of a user' })
  @IsOptional()
  @IsString()
  user_id?: string;

  @ApiPropertyOptional({ description: 'The contact id of a lead or user' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  email?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class EventSummaryDto {
  @ApiProperty({ example: 'invited-friend' })
  @IsEventName()
  event_name!: string;

  // A 32-bit count, as Intercom's: sums of reports then stay exact (below 2^53) in both stores.
  @ApiProperty({ description: 'How many times the event occurred', minimum: 1, maximum: MAX_COUNT })
  @IsInt()
  @Min(1)
  @Max(MAX_COUNT)
  count!: number;

  @ApiProperty({ description: 'Unix seconds: the first time it occurred' })
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  first!: number;

  @ApiProperty({ description: 'Unix seconds: the last time it occurred' })
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  last!: number;
}

export class CreateEventSummariesDto {
  @ApiProperty({ description: 'The external_id of a user' })
  @IsString()
  @Matches(/\S/, { message: 'user_id must not be blank' })
  user_id!: string;

  @ApiProperty({ type: EventSummaryDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EventSummaryDto)
  event_summaries!: EventSummaryDto;
}

export class ListDataEventsQueryDto extends PageQuery {
  @ApiProperty({ enum: ['user'] })
  @IsIn(['user'])
  type!: 'user';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  intercom_user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  email?: string;

  @ApiPropertyOptional({
    description:
      "One of user_id, intercom_user_id, email as a JSON object, as the SDK's " +
      'unstable.dataEvents.lisDataEvents sends it: the same as that parameter',
    example: '{"user_id":"25"}',
  })
  @IsOptional()
  @IsString()
  filter?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: "true answers the contact's summary of its events (event.summary) instead",
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  summary?: 'true' | 'false';
}
