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
  /** Whether each route is public, by class and handler: metadata is read once per route. */
  private readonly publicRoutes = new WeakMap<object, WeakMap<object, boolean>>();

  constructor(
    private readonly tokens: AccessTokens,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const controller = context.getClass();
    let routes = this.publicRoutes.get(controller);
    if (routes === undefined) {
      routes = new WeakMap();
      this.publicRoutes.set(controller, routes);
    }
    let isPublic = routes.get(handler);
    if (isPublic === undefined) {
      isPublic =
        this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, controller]) === true;
      routes.set(handler, isPublic);
    }
    if (!isPublic) authenticate(this.tokens, context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}

/**
 * The workspace of the request's bearer token, which the request then carries (`@WorkspaceId()`);
 * throws 401 without a valid token. The guard's check, for routes Fastify serves directly.
 */
export function authenticate(tokens: AccessTokens, request: FastifyRequest): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  const workspaceId = match?.[1] ? tokens.workspaceOf(match[1]) : undefined;
  if (!workspaceId) throw HttpProblem.of(401, 'unauthorized', 'Access Token Invalid');
  (request as AuthenticatedRequest).workspaceId = workspaceId;
  return workspaceId;
}

/** The authenticated request's workspace id. */
export const WorkspaceId = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const workspaceId = context.switchToHttp().getRequest<AuthenticatedRequest>().workspaceId;
    if (!workspaceId) throw HttpProblem.of(401, 'unauthorized', 'Access Token Invalid');
    return workspaceId;
  },
);
