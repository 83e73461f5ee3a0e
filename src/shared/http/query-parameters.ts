import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { fieldPath } from '../json-path';
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

export const unknownQueryParameterMessage = (name: string): string =>
  `Unknown query parameter ${name}`;

/** A parameter the route does not take: refused by name, for a typo would otherwise answer as if
 * it had not been sent (`?as_f=…` the current contact instead of the one asked for). */
export function refuseUnknownQueryParameters(query: unknown, known: ReadonlySet<string>): void {
  if (query === null || typeof query !== 'object') return;
  for (const name in query) {
    if (known.has(name)) continue;
    const field = fieldPath('', name);
    throw HttpProblem.of(400, 'parameter_invalid', unknownQueryParameterMessage(field), field);
  }
}

/** What a route does with its query: a DTO checks it, or these are its parameters. */
type QueryHandling = 'dto' | ReadonlySet<string>;

const NO_PARAMETERS: ReadonlySet<string> = new Set();

/**
 * Every route refuses query parameters it does not take, as the routes with a query DTO do: one
 * with neither a DTO nor `TakesQueryParameters` takes none. Called by the guard once the caller is
 * known (a stranger is told 401 whatever its query holds), not by an interceptor: Nest's
 * interceptors cost every request of a route ~90 µs of CPU on Node 20 (AsyncResource.bind).
 */
@Injectable()
export class QueryParameterRules {
  /** Each route's handling, by handler: metadata is read once per route. */
  private readonly handling = new WeakMap<object, QueryHandling>();

  constructor(private readonly reflector: Reflector) {}

  refuseUnknown(context: ExecutionContext, request: FastifyRequest): void {
    const handling = this.handlingOf(context);
    if (handling !== 'dto') refuseUnknownQueryParameters(request.query, handling);
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
        : (this.reflector.get<ReadonlySet<string> | undefined>(QUERY_PARAMETERS, handler) ??
          NO_PARAMETERS);
      this.handling.set(handler, handling);
    }
    return handling;
  }
}
