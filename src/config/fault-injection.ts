import { Injectable } from '@nestjs/common';
import { Environment } from './environment';

/** Places where the crash tests may kill the process to prove recovery. */
export type FaultPoint = 'merge.after_source_closed';

/**
 * Crash injection for recovery tests: with `FAULT_INJECTION=<point>` the process SIGKILLs itself
 * when it reaches that point (no cleanup, as a power cut or OOM kill would). Unset in production.
 */
@Injectable()
export class FaultInjection {
  constructor(private readonly environment: Environment) {}

  at(point: FaultPoint): void {
    if (this.environment.FAULT_INJECTION === point) process.kill(process.pid, 'SIGKILL');
  }
}
