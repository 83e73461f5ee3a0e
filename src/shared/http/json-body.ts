import type { FastifyInstance } from 'fastify';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const badBody = (message: string): Error & { statusCode: number } =>
  Object.assign(new Error(message), { statusCode: 400 });

/**
 * JSON bodies, parsed strictly: bytes that are not UTF-8 are refused rather than read as U+FFFD
 * (two keys differing only in such bytes would otherwise be one key), and keys named `__proto__`
 * are kept as ordinary keys for the checks that refuse them by path (`PROTOTYPE_KEYS`), where
 * Fastify's own parser refused the whole body as "not valid JSON".
 */
export function parseJsonBodiesStrictly(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (_request, body: Buffer, done) => {
      let text: string;
      try {
        text = strictUtf8.decode(body);
      } catch {
        return done(badBody('The body is not valid UTF-8'), undefined);
      }
      // Nothing, sent chunked: no body, as the same nothing sent with Content-Length: 0 is.
      if (text === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text) as unknown);
      } catch {
        done(badBody('The body is not valid JSON'), undefined);
      }
    },
  );
  // Any other media type, or none, is read only to tell an empty body (no body) from one the API
  // cannot take; Fastify would refuse an empty chunked body unread for its label alone.
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    done(
      Object.assign(
        new Error('The request body must be JSON, sent with Content-Type: application/json'),
        { statusCode: 415 },
      ),
      undefined,
    );
  });
  // Its text/plain parser would take the empty body as '', a body the API cannot take.
  fastify.removeContentTypeParser('text/plain');
}
