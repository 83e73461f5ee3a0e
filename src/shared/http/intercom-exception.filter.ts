import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventLogBehindCheckpoint, WrongExpectedRevision } from '../event-store/event-store.errors';
import { HttpProblem, type IntercomErrorItem, type IntercomErrorList } from './intercom-error';
import { isStorageFull, isStoreUnreachable } from '../storage-errors';
import { ReadModelNotStarted } from '../read-model.errors';
import type { ApiRouteConfig } from './route-config';

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'parameter_invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  413: 'request_entity_too_large',
  415: 'unsupported_media_type',
  422: 'data_invalid',
  429: 'rate_limit_exceeded',
  503: 'service_unavailable',
};

const logger = new Logger('HTTP');

/** The one place where every error becomes Intercom's `error.list` envelope. */
@Catch()
export class IntercomExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    replyWithError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}

/**
 * Answers `exception` as Intercom's `error.list`: what the filter does for Nest's routes, and
 * what a route Fastify serves directly (`serveDirectly`) calls itself.
 */
export function replyWithError(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { status, errors, headers } = describe(exception, isWrite(request));
  // A 5xx the service answers on purpose (not caught up yet, shutting down: retry later) is a
  // state, not a fault: its stack says nothing.
  if (status >= 500 && exception instanceof HttpProblem)
    logger.warn({ requestId: request.id, status, errors }, `Request answered ${status}`);
  else if (status >= 500) logger.error({ err: exception, requestId: request.id }, 'Request failed');
  const body: IntercomErrorList = { type: 'error.list', request_id: String(request.id), errors };
  // RFC 9110: a 401 names the scheme that would be accepted.
  if (status === 401) void reply.header('WWW-Authenticate', 'Bearer');
  void reply.status(status).headers(headers).send(body);
}

/** The request writes to the log (a route whose answer reports its position). */
function isWrite(request: FastifyRequest): boolean {
  const config = request.routeOptions?.config as ApiRouteConfig | undefined;
  return config?.reportsPosition === true;
}

function describe(
  exception: unknown,
  write: boolean,
): {
  status: number;
  errors: readonly IntercomErrorItem[];
  headers: Readonly<Record<string, string>>;
} {
  if (exception instanceof HttpProblem) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return {
      status,
      errors: [{ code: codeFor(status), message: messageOf(exception) }],
      headers: {},
    };
  }
  // Writers in another process kept winning the race for the stream past the bounded retries.
  if (exception instanceof WrongExpectedRevision) {
    return {
      status: 409,
      errors: [
        {
          code: 'conflict',
          message: 'The resource was changed by concurrent requests; retry the request',
        },
      ],
      headers: {},
    };
  }
  // Fastify's own errors (body too large, bad JSON, unsupported media type) carry a statusCode;
  // so does a client hanging up mid-body (ECONNRESET, but the client's doing, not a store's).
  const statusCode = (exception as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      status: statusCode,
      errors: [{ code: codeFor(statusCode), message: (exception as Error).message }],
      headers: {},
    };
  }
  // A store that cannot be reached is an outage to wait out, not a failure of the request.
  if (isStoreUnreachable(exception)) {
    return {
      status: 503,
      errors: [
        {
          code: 'service_unavailable',
          message: write
            ? 'A store the service depends on is unreachable; a write may or may not have been ' +
              'stored: check before retrying it'
            : 'A store the service depends on is unreachable; retry the request',
        },
      ],
      headers: { 'Retry-After': '5' },
    };
  }
  // The store is not the one the read models were built from: an operator points the service at
  // the right one or rebuilds them; until then a write would go where no read model follows it.
  if (exception instanceof EventLogBehindCheckpoint) {
    return {
      status: 503,
      errors: [
        {
          code: 'service_unavailable',
          message: exception.writeStored
            ? `This write may be stored, whole or in part, in an event log found behind the read models; send it again once they are rebuilt. Writes are refused from now on: ${exception.message}`
            : `Writes are refused, the event log being behind the read models: ${exception.message}`,
        },
      ],
      headers: { 'Retry-After': '60' },
    };
  }
  // The read model was never built yet (its projection could not start: the event store is
  // unreachable since the first start); it is once the projection starts.
  if (exception instanceof ReadModelNotStarted) {
    return {
      status: 503,
      errors: [
        {
          code: 'service_unavailable',
          message:
            'The read models this request needs have not started yet (the event store may be ' +
            'unreachable); retry the request',
        },
      ],
      headers: { 'Retry-After': '5' },
    };
  }
  // A full disk is an outage an operator ends, not a fault of the request (SQLite's SQLITE_FULL,
  // PostgreSQL's disk_full): the write it failed in was rolled back.
  if (isStorageFull(exception)) {
    return {
      status: 503,
      errors: [
        {
          code: 'service_unavailable',
          message:
            "The service's storage is full: the request was refused; retry once there is room",
        },
      ],
      headers: { 'Retry-After': '30' },
    };
  }
  return {
    status: 500,
    errors: [{ code: 'server_error', message: 'An unexpected error occurred' }],
    headers: {},
  };
}

export function codeFor(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'parameter_invalid');
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
