import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { HttpProblem } from './intercom-error';

const QUERY_PARAMETERS = Symbol('QUERY_PARAMETERS');

/**
 * The query parameters of a route that reads them from the request itself rather than through a
 * `@Query()` DTO (which refuses the others by name).
 */
export const TakesQueryParameters =
  (...names: readonly string[]): MethodDecorator =>
  (_target, _key, descriptor) => {
    // Several decorators may each name some (the route's own, and `include_merge_history`'s).
    const named: unknown = Reflect.getMetadata(QUERY_PARAMETERS, descriptor.value as object);
    const taken = new Set([...(named instanceof Set ? (named as Set<string>) : []), ...names]);
    Reflect.defineMetadata(QUERY_PARAMETERS, taken, descriptor.value as object);
  };

/** A route outside Intercom's API (health, metrics) that ignores what its query holds. */
export const IgnoresQueryParameters = () =>
  SetMetadata(QUERY_PARAMETERS, 'ignored' satisfies QueryHandling);

export const unknownQueryParameterMessage = (name: string): string =>
  `Unknown query parameter ${name}`;

/** A parameter the route does not take: refused by name, for a typo would otherwise answer as if
 * it had not been sent (`?as_f=…` the current contact instead of the one asked for). */
export function refuseUnknownQueryParameters(query: unknown, known: ReadonlySet<string>): void {
  if (query === null || typeof query !== 'object') return;
  for (const name in query) {
    if (!known.has(name))
      throw HttpProblem.of(400, 'parameter_invalid', unknownQueryParameterMessage(name), name);
  }
}

/** What a route does with its query: a DTO checks it, it is ignored, or these are its parameters. */
type QueryHandling = 'dto' | 'ignored' | ReadonlySet<string>;

const NO_PARAMETERS: ReadonlySet<string> = new Set();

/**
 * Every route refuses query parameters it does not take, as the routes with a query DTO do: one
 * with neither a DTO nor `TakesQueryParameters` takes none. An interceptor, so that it runs after
 * the guards (a stranger is told 401 whatever its query holds).
 */
@Injectable()
export class UnknownQueryParameters implements NestInterceptor {
  /** Each route's handling, by handler: metadata is read once per route. */
  private readonly handling = new WeakMap<object, QueryHandling>();

  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handling = this.handlingOf(context);
    if (handling !== 'dto' && handling !== 'ignored')
      refuseUnknownQueryParameters(
        context.switchToHttp().getRequest<FastifyRequest>().query,
        handling,
      );
    return next.handle();
  }

  private handlingOf(context: ExecutionContext): QueryHandling {
    const handler = context.getHandler();
    let handling = this.handling.get(handler);
    if (handling === undefined) {
      const parameters = (Reflect.getMetadata(
        ROUTE_ARGS_METADATA,
        context.getClass(),
        handler.name,
      ) ?? {}) as Record<string, unknown>;
      const hasQueryDto = Object.keys(parameters).some((key) =>
        key.startsWith(`${RouteParamtypes.QUERY}:`),
      );
      handling = hasQueryDto
        ? 'dto'
        : (this.reflector.getAllAndOverride<QueryHandling | undefined>(QUERY_PARAMETERS, [
            handler,
            context.getClass(),
          ]) ?? NO_PARAMETERS);
      this.handling.set(handler, handling);
    }
    return handling;
  }
}
