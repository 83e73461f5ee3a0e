import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../shared/http/intercom-error';
import { AccessTokens } from './access-tokens';

const PUBLIC_ROUTE = Symbol('PUBLIC_ROUTE');

/** Marks a route that needs no access token (health, docs, metrics). */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

type AuthenticatedRequest = FastifyRequest & { workspaceId?: string };

/** The bearer token selects the workspace; a token never sees another workspace's data. */
@Injectable()
export class WorkspaceAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (
      this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const workspaceId = match?.[1] ? this.tokens.workspaceOf(match[1]) : undefined;
    if (!workspaceId) throw HttpProblem.of(401, 'unauthorized', 'Access Token Invalid');
    request.workspaceId = workspaceId;
    return true;
  }
}

/** The authenticated request's workspace id. */
export const WorkspaceId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const workspaceId = context.switchToHttp().getRequest<AuthenticatedRequest>().workspaceId;
    if (!workspaceId) throw HttpProblem.of(401, 'unauthorized', 'Access Token Invalid');
    return workspaceId;
  },
);
