import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PlainRule } from '../../shared/http/plain-body-acceptance';
import {
  isEmailAddress,
  isImageUrl,
  isOwnerId,
  MAX_AVATAR_URL,
  type AttributeChanges,
  type CustomAttributes,
} from '../domain/contact.attributes';
import { LAST_SECOND_OF_YEAR_9999 } from '../../shared/unix-time';
import { NumberedPageQuery } from './page-query';

export const IsEmailAddress = () =>
  PlainRule('isEmailAddress', isEmailAddress, '$property must be an email address');

const IsImageUrl = () =>
  PlainRule('isImageUrl', isImageUrl, '$property must be an absolute http or https URL');

/** A string with more than spaces in it: an identity of spaces only names nothing. */
const isNotBlank = (value: unknown): boolean => typeof value === 'string' && /\S/.test(value);

export const IsNotBlank = () => PlainRule('isNotBlank', isNotBlank, '$property must not be blank');

const IsOwnerId = () =>
  PlainRule(
    'isOwnerId',
    isOwnerId,
    '$property must be an admin id: a non-negative integer, or its digits as a string without leading zeros',
  );

/** The writable contact fields shared by create and update, named as Intercom names them. */
export class ContactFieldsDto {
  @ApiPropertyOptional({ enum: ['user', 'lead'] })
  @IsOptional()
  @IsIn(['user', 'lead'])
  role?: 'user' | 'lead';

  @ApiPropertyOptional({ description: 'A unique identifier set by your system' })
  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(255)
  external_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @IsEmailAddress()
  email?: string;

  @ApiPropertyOptional({
    type: 'boolean',
    nullable: true,
    description:
      'Whether the email sent with it was verified (Intercom 2.16); refused without an email. ' +
      'Another email sent without it leaves the contact unverified. The contact object does not show it',
  })
  @IsOptional()
  @IsBoolean()
  email_verified?: boolean | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  phone?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ description: 'An image URL (http or https)', format: 'uri' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_AVATAR_URL)
  @IsImageUrl()
  avatar?: string;

  @ApiPropertyOptional({ description: 'Unix seconds' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  signed_up_at?: number;

  @ApiPropertyOptional({ description: 'Unix seconds' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(LAST_SECOND_OF_YEAR_9999)
  last_seen_at?: number;

  @ApiPropertyOptional({
    description: 'Admin id (integer or string)',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  })
  @IsOptional()
  @IsOwnerId()
  owner_id?: number | string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  unsubscribed_from_emails?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  language_override?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  custom_attributes?: Record<string, unknown>;
}

export class CreateContactDto extends ContactFieldsDto {}

export class UpdateContactDto extends ContactFieldsDto {}

export class MergeContactsDto {
  @ApiProperty({ description: 'The lead to merge' })
  @IsString()
  from!: string;

  @ApiProperty({ description: 'The user to merge into' })
  @IsString()
  into!: string;

  @ApiPropertyOptional({
    description:
      'From Intercom-Version 2.16, contacts merge only when they share an email or a phone; true merges them anyway',
  })
  @IsOptional()
  @IsBoolean()
  skip_duplicate_validation?: boolean;
}

export class ListContactsQueryDto extends NumberedPageQuery {
  // Validated here; read by `@IncludeMergeHistory()`, as on the other contact routes.
  @ApiPropertyOptional({ enum: ['true', 'false'], description: "Users' merge_history" })
  @IsOptional()
  @IsIn(['true', 'false'])
  include_merge_history?: 'true' | 'false';
}

/** The DTO's fields as the domain's attribute changes (the role travels separately). */
export function attributeChangesOf(dto: ContactFieldsDto): AttributeChanges {
  const { role: _role, custom_attributes, owner_id, ...standard } = dto;
  return Object.fromEntries(
    Object.entries({
      ...standard,
      ...(owner_id !== undefined ? { owner_id: owner_id === null ? null : String(owner_id) } : {}),
      ...(custom_attributes !== undefined
        ? { custom_attributes: custom_attributes as CustomAttributes }
        : {}),
    }).filter(([, value]) => value !== undefined),
  );
}
