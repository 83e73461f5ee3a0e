import { ApiProperty } from '@nestjs/swagger';

export class LifecycleConversions {
  @ApiProperty({ description: 'Contacts that became leads in the interval having been visitors' })
  visitor_to_lead!: number;

  @ApiProperty({
    description:
      'Contacts that became users in the interval having been leads (a lead merged into a user is not one)',
  })
  lead_to_user!: number;
}

export class LifecycleIntervalResponse {
  @ApiProperty({ enum: ['lifecycle.interval'] })
  type!: 'lifecycle.interval';

  @ApiProperty({ description: 'Unix seconds, inclusive' })
  start!: number;

  @ApiProperty({ description: 'Unix seconds, exclusive' })
  end!: number;

  @ApiProperty({ description: 'Visitors registered in the interval' })
  visitors!: number;

  @ApiProperty({ description: 'Contacts that became leads in the interval, created or converted' })
  leads!: number;

  @ApiProperty({ description: 'Contacts that became users in the interval, created or converted' })
  users!: number;

  @ApiProperty({ type: LifecycleConversions })
  conversions!: LifecycleConversions;
}

export class LifecycleFunnelResponse {
  @ApiProperty({ enum: ['lifecycle.funnel'] })
  type!: 'lifecycle.funnel';

  @ApiProperty({ enum: ['day', 'week'] })
  interval!: 'day' | 'week';

  @ApiProperty({ description: 'The IANA zone the days and weeks are counted in', example: 'UTC' })
  time_zone!: string;

  @ApiProperty()
  from!: number;

  @ApiProperty()
  to!: number;

  @ApiProperty({ type: [LifecycleIntervalResponse] })
  data!: LifecycleIntervalResponse[];
}
