import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsNotBlank } from '../contacts/http/contact.dto';
import { LAST_SECOND_OF_YEAR_9999 } from '../shared/unix-time';

export class ConversationSenderDto {
  @ApiProperty({ enum: ['lead', 'user', 'contact'] })
  @IsIn(['lead', 'user', 'contact'])
  type!: 'lead' | 'user' | 'contact';

  @ApiProperty({ description: "The contact's id (a visitor's user_id is accepted too)" })
  @IsString()
  @MinLength(1)
  id!: string;
}

export class CreateConversationDto {
  @ApiProperty({ type: ConversationSenderDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ConversationSenderDto)
  from!: ConversationSenderDto;

  @ApiProperty({
    description: 'The message; not stored, but required and not blank, as Intercom has it',
  })
  @IsDefined()
  @IsString()
  @IsNotBlank()
  body!: string;

  @ApiPropertyOptional({ description: 'Unix seconds; defaults to now' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  created_at?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  subject?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { each: true, message: 'attachment_urls must be http or https URLs' },
  )
  attachment_urls?: string[];

  @ApiPropertyOptional({ description: 'The brand of the conversation (not stored, as its body)' })
  @IsOptional()
  @IsString()
  brand_id?: string;
}
