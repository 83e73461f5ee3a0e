import { Global, Module } from '@nestjs/common';
import { Environment, loadEnvironment } from './environment';
import { FaultInjection } from './fault-injection';
import { CLOCK, systemClock } from '../shared/clock';

@Global()
@Module({
  providers: [
    { provide: Environment, useFactory: () => loadEnvironment() },
    { provide: CLOCK, useValue: systemClock },
    FaultInjection,
  ],
  exports: [Environment, CLOCK, FaultInjection],
})
export class ConfigModule {}
