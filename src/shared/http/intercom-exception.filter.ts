import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, type IntercomErrorItem, type IntercomErrorList } from './intercom-error';

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'parameter_invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  410: 'gone',
  413: 'request_entity_too_large',
  415: 'unsupported_media_type',
  422: 'data_invalid',
  429: 'rate_limit_exceeded',
  503: 'service_unavailable',
};

/** The one place where every error becomes Intercom's `error.list` envelope. */
@Catch()
export class IntercomExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, errors, headers } = this.describe(exception);
    if (status >= 500)
      this.logger.error({ err: exception, requestId: request.id }, 'Request failed');
    const body: IntercomErrorList = { type: 'error.list', request_id: String(request.id), errors };
    void reply.status(status).headers(headers).send(body);
  }

  private describe(exception: unknown): {
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
    // Fastify's own errors (body too large, bad JSON, unsupported media type) carry a statusCode.
    const statusCode = (exception as { statusCode?: unknown } | undefined)?.statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return {
        status: statusCode,
        errors: [{ code: codeFor(statusCode), message: (exception as Error).message }],
        headers: {},
      };
    }
    return {
      status: 500,
      errors: [{ code: 'server_error', message: 'An unexpected error occurred' }],
      headers: {},
    };
  }
}

function codeFor(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'parameter_invalid');
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
