import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString } from 'class-validator';

const BOOLEAN_STRINGS: Readonly<Record<string, boolean>> = { true: true, false: false };

export class ListDataAttributesRequest {
  @ApiPropertyOptional({ enum: ['contact', 'company'], default: 'contact' })
  @IsOptional()
  @IsString()
  readonly model?: string;

  @ApiPropertyOptional({ type: Boolean, default: false })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (BOOLEAN_STRINGS[value] ?? value) : value,
  )
  @IsBoolean()
  readonly include_archived?: boolean;
}
