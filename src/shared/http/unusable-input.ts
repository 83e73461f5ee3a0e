import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { prototypeKeyMessage, prototypeKeyPath } from '../prototype-keys';
import { unstorableTextMessage, unstorableTextPath } from '../storable-text';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { fieldPath } from '../json-path';
import { HttpProblem, type IntercomErrorList } from './intercom-error';
import { codeFor, replyWithError } from './intercom-exception.filter';
import {
  crowdedObjectMessage,
  crowdedObjectPath,
  MAX_BODY_DEPTH,
  tooDeepMemberPath,
} from '../json-limits';
import type { ApiRouteConfig } from './route-config';

/**
 * Request bodies are JSON objects and arrays of modest depth and width, of text PostgreSQL can
 * store (other media types are refused by the parsers, see json-body.ts): the validation that
 * walks a body recursively overflows the stack on one nested tens of thousands deep, and takes
 * seconds over an object of tens of thousands of members; PostgreSQL cannot store NUL or unpaired
 * surrogates (nor compare NUL, in a URL's id). All are refused here, before any route sees them.
 */
export function refuseUnusableInput(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (!request.url.includes('%00') && !request.url.includes('\u0000')) return done();
    replyWithError(
      HttpProblem.of(400, 'parameter_invalid', 'The URL must not contain the NUL character'),
      request,
      reply,
    );
  });
  // Before parsing, but after the routes' own onRequest hooks (authentication, see
  // `AuthenticationBeforeBody`): a stranger's body is refused as a stranger's, whatever it holds.
  fastify.addHook('preParsing', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    // No body, whatever content type a client labels its nothing with (curl -d '', or a client
    // that always says JSON): nothing to parse, so no parser refuses it. Without Content-Length
    // or Transfer-Encoding a request has no body at all (HTTP/1.1, RFC 9112 section 6.3).
    const { headers } = request;
    const bodiless =
      headers['content-length'] === '0' ||
      (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined);
    if (bodiless) {
      if (headers['content-type'] !== undefined) delete headers['content-type'];
      return done(null, payload);
    }
    const problem = encodingProblem(request);
    if (problem === undefined) return done(null, payload);
    replyWithError(problem, request, reply);
  });
  fastify.addHook('preValidation', (request: FastifyRequest, reply: FastifyReply, done) => {
    const problem =
      repeatedParameter(request) ??
      (request.body === undefined || request.body === null ? undefined : bodyProblem(request));
    if (problem === undefined) return done();
    replyWithError(problem, request, reply);
  });
}

/** Every query parameter is a single value: one given twice is refused by name, not misread. */
function repeatedParameter(request: FastifyRequest): HttpProblem | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const name = Object.keys(query ?? {}).find((key) => Array.isArray(query?.[key]));
  if (name === undefined) return undefined;
  const field = fieldPath('', name);
  return HttpProblem.of(400, 'parameter_invalid', `${field} is given more than once`, field);
}

/**
 * Bodies are JSON text in UTF-8, sent as they are: another charset would be read as UTF-8 (each
 * byte it does not share turned into U+FFFD and stored so), and a compressed body would fail as
 * JSON that is not valid.
 */
function encodingProblem(request: FastifyRequest): HttpProblem | undefined {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    return HttpProblem.of(
      415,
      'unsupported_media_type',
      `Content-Encoding ${encoding} is not supported: send the body uncompressed`,
    );
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(
    request.headers['content-type'] ?? '',
  )?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return HttpProblem.of(
      415,
      'unsupported_media_type',
      `The body must be UTF-8 (Content-Type: application/json; charset=utf-8), not ${charset}`,
    );
  }
  return undefined;
}

/** A parsed body: JSON, as only `parseJsonBodiesStrictly`'s parser gives one (see json-body.ts). */
function bodyProblem(request: FastifyRequest): HttpProblem | undefined {
  const checksItemsItself = (request.routeOptions.config as ApiRouteConfig | undefined)
    ?.checksItemsItself;
  // A batch's items are checked one by one by the route; its envelope here, as any body.
  const envelope = checksItemsItself ? withoutItems(request.body) : request.body;
  const tooDeep = tooDeepMemberPath(envelope, MAX_BODY_DEPTH);
  if (tooDeep !== undefined) {
    return HttpProblem.of(
      400,
      'parameter_invalid',
      `The request body nests objects or arrays more than ${MAX_BODY_DEPTH} levels deep, in ${tooDeep}`,
      tooDeep,
    );
  }
  const crowdedObject = crowdedObjectPath(envelope);
  if (crowdedObject !== undefined)
    return HttpProblem.of(
      400,
      'parameter_invalid',
      crowdedObjectMessage(crowdedObject),
      crowdedObject || undefined,
    );
  if (checksItemsItself) return undefined;
  const prototypeKey = prototypeKeyPath(request.body);
  if (prototypeKey !== undefined)
    return HttpProblem.of(
      400,
      'parameter_invalid',
      prototypeKeyMessage(prototypeKey),
      prototypeKey,
    );
  const unstorable = unstorableTextPath(request.body);
  if (unstorable !== undefined) {
    return HttpProblem.of(
      400,
      'parameter_invalid',
      unstorableTextMessage(unstorable || 'The body'),
      unstorable || undefined,
    );
  }
  return undefined;
}

/** A batch's envelope: its items are checked one by one, depth included, by the route. */
function withoutItems(body: unknown): unknown {
  const items = (body as { events?: unknown }).events;
  return Array.isArray(items) ? { ...(body as object), events: [] } : body;
}

/**
 * Fastify's router refuses some URLs before any hook runs (a malformed percent-encoding, a path
 * parameter longer than the router takes) and answers them in its own format, echoing the whole
 * URL; these are answered in the Intercom envelope instead (`frameworkErrors` of the adapter).
 */
export function answerRefusedUrl(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? HttpProblem.of(414, 'parameter_invalid', 'A path parameter of the URL is too long')
      : error.code === 'FST_ERR_BAD_URL'
        ? HttpProblem.of(400, 'parameter_invalid', 'The URL is not validly percent-encoded')
        : HttpProblem.of(400, 'parameter_invalid', 'The URL cannot be routed');
  replyWithError(problem, request, reply);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers over 16 KiB, a
 * malformed request line or header, Content-Length beside Transfer-Encoding); Fastify answers
 * them in its own format. These get the Intercom envelope too, and the connection is closed, as
 * Node closes it (`clientErrorHandler` of the adapter).
 */
export function answerUnparsableRequest(error: Error & { code?: string }, socket: Socket): void {
  // A connection reset destroyed the socket already: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request line or headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time']
        : [400, 'The request is not valid HTTP'];
  const body = JSON.stringify({
    type: 'error.list',
    request_id: randomUUID(),
    errors: [{ code: codeFor(status), message }],
  } satisfies IntercomErrorList);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
