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
      try {
        done(null, JSON.parse(text) as unknown);
      } catch {
        done(badBody('The body is not valid JSON'), undefined);
      }
    },
  );
}
