import { Global, Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Environment } from '../config/environment';
import { AccessTokens } from './access-tokens';
import { AdminAccess } from './admin-access';
import { AuthenticationBeforeBody } from './authentication-before-body';
import { QueryParameterRules } from '../shared/http/query-parameters';
import { WorkspaceAuthGuard } from './workspace-auth.guard';
import { WorkspaceTimeZones } from './workspace-time-zones';

function loadAccessTokens(environment: Environment): AccessTokens {
  if (environment.ACCESS_TOKENS) return AccessTokens.parse(environment.ACCESS_TOKENS);
  return AccessTokens.defaultWorkspace(environment.DATA_DIR, (token) =>
    new Logger('Workspaces').warn(
      `ACCESS_TOKENS is unset: generated the token of workspace "default" (kept in ${environment.DATA_DIR}/access-token): ${token}`,
    ),
  );
}

@Global()
@Module({
  providers: [
    { provide: AccessTokens, useFactory: loadAccessTokens, inject: [Environment] },
    {
      provide: AdminAccess,
      useFactory: (environment: Environment, tokens: AccessTokens) =>
        AdminAccess.parse(environment.ADMIN_TOKENS, tokens),
      inject: [Environment, AccessTokens],
    },
    QueryParameterRules,
    { provide: APP_GUARD, useClass: WorkspaceAuthGuard },
    AuthenticationBeforeBody,
    WorkspaceTimeZones,
  ],
  exports: [AccessTokens, WorkspaceTimeZones],
})
export class WorkspacesModule {}
