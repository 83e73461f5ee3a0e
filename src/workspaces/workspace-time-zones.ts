import { Injectable } from '@nestjs/common';
import { Environment } from '../config/environment';

/** The time zone each workspace counts its days in (`WORKSPACE_TIME_ZONES`; UTC by default). */
@Injectable()
export class WorkspaceTimeZones {
  private readonly zones: ReadonlyMap<string, string>;

  constructor(environment: Environment) {
    this.zones = new Map(
      (environment.WORKSPACE_TIME_ZONES ?? '')
        .split(',')
        .filter((pair) => pair.includes(':'))
        .map(
          (pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)] as const,
        ),
    );
  }

  of(workspaceId: string): string {
    return this.zones.get(workspaceId) ?? 'UTC';
  }
}
