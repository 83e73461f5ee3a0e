import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  applyDecorators,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../shared/http/intercom-error';
import { QueryParameterRules } from '../shared/http/query-parameters';
import { refuseUnknownVersion } from '../shared/http/intercom-version';
import { AccessTokens } from './access-tokens';
import { AdminAccess } from './admin-access';

const ROUTE_ACCESS = Symbol('ROUTE_ACCESS');

/** Who may call a route: anyone, a workspace's token (the default), or an administrator. */
type RouteAccess = 'public' | 'workspace' | 'admin';

/**
 * Marks a route that needs no access token (health, docs, metrics). Such routes are no part of
 * Intercom's API: they ignore Intercom-Version, and the document says so (`PUBLIC_ROUTE_EXTENSION`),
 * and whatever query a probe or scraper adds.
 */
export const PublicRoute = () =>
  applyDecorators(
    SetMetadata(ROUTE_ACCESS, 'public' satisfies RouteAccess),
    ApiExtension(PUBLIC_ROUTE_EXTENSION, true),
  );

export const PUBLIC_ROUTE_EXTENSION = 'x-public-route';

/** Marks the operations routes, which act on every workspace (see `AdminAccess`). */
export const AdminRoute = () => SetMetadata(ROUTE_ACCESS, 'admin' satisfies RouteAccess);

type AuthenticatedRequest = FastifyRequest & { workspaceId?: string };

/** The bearer token selects the workspace; a token never sees another workspace's data. */
@Injectable()
export class WorkspaceAuthGuard implements CanActivate {
  /** Each route's access, by class and handler: metadata is read once per route. */
  private readonly routeAccess = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly tokens: AccessTokens,
    private readonly admin: AdminAccess,
    private readonly reflector: Reflector,
    private readonly queryParameters: QueryParameterRules,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const controller = context.getClass();
    let routes = this.routeAccess.get(controller);
    if (routes === undefined) {
      routes = new WeakMap();
      this.routeAccess.set(controller, routes);
    }
    let access = routes.get(handler);
    if (access === undefined) {
      access =
        this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [
          handler,
          controller,
        ]) ?? 'workspace';
      routes.set(handler, access);
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (access === 'workspace') authenticate(this.tokens, request);
    else if (access === 'admin') this.admin.authorize(bearerToken(request));
    // Once the caller is known: a stranger is told 401 whatever version or query it sends. Public
    // routes (health, metrics, docs) are no part of Intercom's API, whose version they ignore, as
    // they ignore their query, as a probe or scraper behind a proxy that adds either expects.
    if (access !== 'public') {
      refuseUnknownVersion(request);
      this.queryParameters.refuseUnknown(context, request);
    }
    return true;
  }
}

/**
 * The request's one bearer token. Node keeps only the first of several Authorization headers: a
 * request carrying more has none here, so no proxy that reads another of them can disagree
 * with the service about who is calling.
 */
export const bearerToken = (request: FastifyRequest): string | undefined => {
  const raw = request.raw.rawHeaders;
  let authorizations = 0;
  for (let index = 0; index < raw.length; index += 2) {
    // Length first: no lower-cased copy of every header name on every request.
    const name = raw[index]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorizations += 1;
  }
  if (authorizations !== 1) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
};

/**
 * The workspace of the request's bearer token, which the request then carries (`@WorkspaceId()`);
 * throws 401 without a valid token. The guard's check, for routes Fastify serves directly.
 */
export function authenticate(tokens: AccessTokens, request: FastifyRequest): string {
  const token = bearerToken(request);
  const workspaceId = token ? tokens.workspaceOf(token) : undefined;
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
