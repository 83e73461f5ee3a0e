import type { FastifyReply, FastifyRequest } from 'fastify';
import { WrongExpectedRevision } from '../event-store/event-store.errors';
import { replyWithError } from './intercom-exception.filter';

describe('replyWithError', () => {
  it('answers a write that kept losing the race for its stream with 409 conflict', () => {
    const sent: { status?: number; body?: unknown } = {};
    const reply = {
      status(code: number) {
        sent.status = code;
        return this;
      },
      headers() {
        return this;
      },
      send(body: unknown) {
        sent.body = body;
        return this;
      },
    } as unknown as FastifyReply;
    replyWithError(
      new WrongExpectedRevision('contact-w.1', 3n, 4n),
      { id: 'req-1' } as FastifyRequest,
      reply,
    );
    expect(sent).toEqual({
      status: 409,
      body: {
        type: 'error.list',
        request_id: 'req-1',
        errors: [{ code: 'conflict', message: expect.stringContaining('retry') as unknown }],
      },
    });
  });
});
