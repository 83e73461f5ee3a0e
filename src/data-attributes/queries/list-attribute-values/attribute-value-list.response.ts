import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class AttributeValueResponse {
  @ApiProperty({ enum: ['attribute_value'] })
  readonly type!: 'attribute_value';

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
    description:
      'Of the attribute’s data_type (`owner_id` values are integers); standard dates are whole UTC days: the unix seconds of the day’s midnight',
  })
  readonly value!: string | number | boolean;

  @ApiProperty({ description: 'Leads and users holding this value' })
  readonly count!: number;
}

export class AttributeValuePagesNext {
  @ApiProperty()
  readonly page!: number;

  @ApiProperty()
  readonly starting_after!: string;
}

export class AttributeValuePages {
  @ApiProperty({ enum: ['pages'] })
  readonly type!: 'pages';

  @ApiProperty()
  readonly page!: number;

  @ApiProperty()
  readonly per_page!: number;

  @ApiProperty()
  readonly total_pages!: number;

  @ApiPropertyOptional({ type: AttributeValuePagesNext, description: 'Absent on the last page' })
  readonly next?: AttributeValuePagesNext;
}

/** Which attribute the values belong to, as `GET /data_attributes` names it. */
export class AttributeValueListAttribute {
  @ApiPropertyOptional({ description: 'Custom attributes only' })
  readonly id?: number;

  @ApiProperty()
  readonly name!: string;

  @ApiProperty({ example: 'location.country' })
  readonly full_name!: string;
}

/** The value distribution of one data attribute, most held values first (ties as `tieOrder` orders them). */
export class AttributeValueListResponse {
  @ApiProperty({ enum: ['attribute_value.list'] })
  readonly type!: 'attribute_value.list';

  @ApiProperty({ type: AttributeValueListAttribute })
  readonly data_attribute!: AttributeValueListAttribute;

  @ApiProperty({ type: [AttributeValueResponse] })
  readonly data!: readonly AttributeValueResponse[];

  @ApiProperty({ description: 'Distinct values (the items this list pages through)' })
  readonly total_count!: number;

  @ApiProperty({ description: 'Leads and users holding any value of the attribute' })
  readonly contact_count!: number;

  @ApiProperty({ type: AttributeValuePages })
  readonly pages!: AttributeValuePages;
}
