import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { readBodyWithinLimit } from './body-over-limit';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const badBody = (message: string): Error & { statusCode: number } =>
  Object.assign(new Error(message), { statusCode: 400 });

/**
 * JSON bodies, parsed strictly: bytes that are not UTF-8 are refused rather than read as U+FFFD
 * (two keys differing only in such bytes would otherwise be one key), and keys named `__proto__`
 * are kept as ordinary keys for the checks that refuse them by path (`PROTOTYPE_KEYS`), where
 * Fastify's own parser refused the whole body as "not valid JSON". A body over Fastify's
 * `bodyLimit` is answered 413 (see `readBodyWithinLimit`).
 */
export function parseJsonBodiesStrictly(fastify: FastifyInstance): void {
  const limit = fastify.initialConfig.bodyLimit ?? Infinity;
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    async (request: FastifyRequest, payload: IncomingMessage) => {
      const body = await readBodyWithinLimit(limit, request, payload);
      let text: string;
      try {
        text = strictUtf8.decode(body);
      } catch {
        throw badBody('The body is not valid UTF-8');
      }
      // Nothing, sent chunked: no body, as the same nothing sent with Content-Length: 0 is.
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw badBody('The body is not valid JSON');
      }
    },
  );
  // Any other media type, or none, is read only to tell an empty body (no body) from one the API
  // cannot take; Fastify would refuse an empty chunked body unread for its label alone.
  fastify.addContentTypeParser('*', async (request: FastifyRequest, payload: IncomingMessage) => {
    const body = await readBodyWithinLimit(limit, request, payload);
    if (body.length === 0) return undefined;
    throw Object.assign(
      new Error('The request body must be JSON, sent with Content-Type: application/json'),
      { statusCode: 415 },
    );
  });
  // Its text/plain parser would take the empty body as '', a body the API cannot take.
  fastify.removeContentTypeParser('text/plain');
}
