import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * How much of a body over the limit is still read, and thrown away, before its 413 is answered.
 * A client that sends its whole body before it reads the answer (most do) has its upload reset
 * when the server closes a connection with bytes left unread, and never learns why it failed. A
 * body beyond this (16 times the limit) is answered at once instead: the service does not read
 * unbounded garbage. How long it reads is bounded too, by REQUEST_TIMEOUT_MS.
 */
export const MAX_DISCARDED_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Reads a request's body whole, up to `limit` bytes; a longer one fails with Fastify's 413, once
 * the client has sent it (see `MAX_DISCARDED_BODY_BYTES`), and Fastify closes the connection with
 * the answer, as it does for every body it could not parse.
 */
export function readBodyWithinLimit(
  limit: number,
  request: FastifyRequest,
  payload: Readable,
): Promise<Buffer> {
  const tooLarge = () => new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
  const declared = Number(request.headers['content-length']);
  // A client waiting for 100 Continue was not asked for the body (see `answerContinueWithinLimit`):
  // it sends nothing, so there is nothing to wait for.
  if (declared > limit && (awaitsContinue(request.raw) || declared > MAX_DISCARDED_BODY_BYTES)) {
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stopReading = (): void => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) return void chunks.push(chunk);
      chunks.length = 0;
      if (received <= MAX_DISCARDED_BODY_BYTES) return;
      stopReading();
      reject(tooLarge());
    };
    const onEnd = (): void => {
      stopReading();
      if (received > limit) reject(tooLarge());
      else resolve(Buffer.concat(chunks));
    };
    // The client hung up, or the body stopped arriving in time: the client's doing, not a failure.
    const onError = (error: Error & { statusCode?: number }): void => {
      stopReading();
      reject(Object.assign(error, { statusCode: error.statusCode ?? 400 }));
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.resume();
  });
}

/**
 * Node answers `Expect: 100-continue` with 100 Continue before the service sees the request;
 * the client then sends a body that may be refused unread. A body declared over the limit is not
 * asked for: its request goes on without the 100, and is answered 413 at once (or 401 when no one
 * holds its token), the connection closed with the answer.
 */
export function answerContinueWithinLimit(fastify: FastifyInstance): void {
  const limit = fastify.initialConfig.bodyLimit ?? Infinity;
  const server = fastify.server;
  server.on('checkContinue', (request: IncomingMessage, response) => {
    if (!(Number(request.headers['content-length']) > limit)) response.writeContinue();
    server.emit('request', request, response);
  });
}

/** Whether the client waits for 100 Continue before it sends the body, as Node reads `Expect`. */
function awaitsContinue(request: IncomingMessage): boolean {
  return (
    request.httpVersion === '1.1' &&
    /(?:^|\W)100-continue(?:$|\W)/i.test(request.headers.expect ?? '')
  );
}
