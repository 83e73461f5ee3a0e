import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { IsEmailAddress, IsNotBlank } from '../contacts/http/contact.dto';

export class FindVisitorQueryDto {
  @ApiProperty({ description: "The visitor's anonymous user_id" })
  @IsString()
  @MinLength(1)
  user_id!: string;
}

export class UpdateVisitorDto {
  @ApiPropertyOptional({ description: 'The visitor id given by the service' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional({ description: "The visitor's anonymous user_id" })
  @IsOptional()
  @IsString()
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  custom_attributes?: Record<string, unknown>;
}

/** Who the visitor becomes, or merges into. */
export class ConvertTargetDto {
  @ApiPropertyOptional({ description: 'An existing contact to merge the visitor into' })
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional({ description: 'The external_id the contact has or gets' })
  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(255)
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @IsEmailAddress()
  email?: string;
}

export class ConvertVisitorRefDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  email?: string;
}

export class ConvertVisitorDto {
  @ApiProperty({ enum: ['user', 'lead'] })
  @IsIn(['user', 'lead'])
  type!: 'user' | 'lead';

  @ApiProperty({ type: ConvertTargetDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => ConvertTargetDto)
  user!: ConvertTargetDto;

  @ApiProperty({ type: ConvertVisitorRefDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => ConvertVisitorRefDto)
  visitor!: ConvertVisitorRefDto;
}
