import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { HttpProblem } from '../shared/http/intercom-error';
import { replyWithError } from '../shared/http/intercom-exception.filter';
import { AccessTokens } from './access-tokens';
import { AdminAccess } from './admin-access';
import { bearerToken } from './workspace-auth.guard';

/** The methods whose requests carry a body the API parses. */
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A request with no token anyone holds is refused (401) before its body is read: Nest's guard
 * runs after Fastify parsed the body, so a stranger could make the service parse a megabyte,
 * and learn from a 400, 413 or 415 what the body was doing wrong. Only the token's existence is
 * checked here; which workspace or operation it may act on is still the guard's decision. The
 * API's public routes (health, docs) take no body.
 */
@Injectable()
export class AuthenticationBeforeBody {
  constructor(
    adapterHost: HttpAdapterHost,
    private readonly tokens: AccessTokens,
    private readonly admin: AdminAccess,
  ) {
    // As `WritePositionHeader`: once the application has its adapter, before routes register.
    adapterHost.init$.subscribe(() => this.register(adapterHost.httpAdapter));
  }

  private register(adapter: HttpAdapterHost['httpAdapter']): void {
    if (adapter.getType() !== 'fastify') return;
    const refuseStrangers: onRequestHookHandler = (request, reply, done) => {
      const token = bearerToken(request);
      if (
        token !== undefined &&
        (this.tokens.workspaceOf(token) !== undefined || this.admin.isAdminToken(token))
      )
        return done();
      // The body is not read: the connection ends with the answer, rather than taking it in.
      void reply.header('Connection', 'close');
      replyWithError(HttpProblem.of(401, 'unauthorized', 'Access Token Invalid'), request, reply);
    };
    adapter.getInstance<FastifyInstance>().addHook('onRoute', (route) => {
      const methods = [route.method].flat();
      if (!methods.some((method) => WITH_BODY.has(method))) return;
      const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
      route.onRequest = [refuseStrangers, ...own];
    });
  }
}
