import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventStoreUnavailable, WrongExpectedRevision } from '../event-store/event-store.errors';
import { ReadModelNotStarted } from '../read-model.errors';
import { HttpProblem } from './intercom-error';
import { replyWithError } from './intercom-exception.filter';

const fakeReply = () => {
  const sent: { status?: number; body?: unknown; headers?: Record<string, string> } = {};
  const reply = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    headers(headers: Record<string, string>) {
      sent.headers = headers;
      return this;
    },
    send(body: unknown) {
      sent.body = body;
      return this;
    },
  } as unknown as FastifyReply;
  return { sent, reply };
};

describe('replyWithError', () => {
  it.each([
    [
      'an event store that cannot be reached',
      new EventStoreUnavailable('EventStoreDB unavailable'),
    ],
    [
      'a refused connection to PostgreSQL',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    [
      'a PostgreSQL database that refuses connections (ALTER DATABASE … ALLOW_CONNECTIONS false)',
      Object.assign(new Error('database "service" is not currently accepting connections'), {
        code: '55000',
      }),
    ],
    [
      'a PostgreSQL server out of connection slots',
      Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
    ],
    [
      'a PostgreSQL session an operator terminated',
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    ],
    [
      'a PostgreSQL connection failure (class 08)',
      Object.assign(new Error('connection failure'), { code: '08006' }),
    ],
    ['a connection pg saw end', new Error('Connection terminated unexpectedly')],
    [
      'a full disk under SQLite',
      Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }),
    ],
    [
      'a full disk under PostgreSQL',
      Object.assign(new Error('could not extend file'), { code: '53100' }),
    ],
    ['a read model whose projection has not started yet', new ReadModelNotStarted('contacts')],
  ])('answers %s with 503 and Retry-After', (_label, error) => {
    const { sent, reply } = fakeReply();
    replyWithError(error, { id: 'req-2' } as FastifyRequest, reply);
    expect(sent).toMatchObject({
      status: 503,
      headers: { 'Retry-After': expect.any(String) as unknown },
      body: { errors: [{ code: 'service_unavailable' }] },
    });
  });

  it("answers a client's hanging up mid-body as the client's 400, not a store outage", () => {
    const { sent, reply } = fakeReply();
    // What Fastify reports when the request stream closes before the body has arrived.
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    replyWithError(aborted, { id: 'req-4' } as FastifyRequest, reply);
    expect(sent).toMatchObject({ status: 400, body: { errors: [{ code: 'parameter_invalid' }] } });
  });

  it('tells a write, not a read, that it may or may not have been stored', () => {
    const messageFor = (request: object): unknown => {
      const { sent, reply } = fakeReply();
      replyWithError(
        new EventStoreUnavailable('EventStoreDB unavailable'),
        request as FastifyRequest,
        reply,
      );
      return (sent.body as { errors: Array<{ message: string }> }).errors[0]!.message;
    };
    const write = { id: 'req-4', routeOptions: { config: { reportsPosition: true } } };
    const read = { id: 'req-5', routeOptions: { config: {} } };
    expect(messageFor(write)).toMatch(/may or may not have been stored/);
    expect(messageFor(read)).toBe(
      'A store the service depends on is unreachable; retry the request',
    );
  });

  it('answers another object_not_in_prerequisite_state as the server error it is', () => {
    const { sent, reply } = fakeReply();
    replyWithError(
      Object.assign(new Error('cannot refresh materialized view concurrently'), { code: '55000' }),
      { id: 'req-3' } as FastifyRequest,
      reply,
    );
    expect(sent.status).toBe(500);
  });

  it('answers a write that kept losing the race for its stream with 409 conflict', () => {
    const { sent, reply } = fakeReply();
    replyWithError(
      new WrongExpectedRevision('contact-w.1', 3n, 4n),
      { id: 'req-1' } as FastifyRequest,
      reply,
    );
    expect(sent).toEqual({
      status: 409,
      headers: {},
      body: {
        type: 'error.list',
        request_id: 'req-1',
        errors: [{ code: 'conflict', message: expect.stringContaining('retry') as unknown }],
      },
    });
  });

  describe('the log of a server-side answer', () => {
    afterEach(() => jest.restoreAllMocks());

    it('is a warning without a stack for a 503 the service answers on purpose (retry later)', () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const problem = new HttpProblem(
        503,
        [{ code: 'service_unavailable', message: 'not caught up yet; retry' }],
        { 'Retry-After': '1' },
      );
      replyWithError(problem, { id: 'req-5' } as FastifyRequest, fakeReply().reply);
      expect(error).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith(
        { requestId: 'req-5', status: 503, errors: problem.errors },
        'Request answered 503',
      );
    });

    it('is an error with the exception for a failure nobody answered on purpose', () => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const failure = new Error('boom');
      replyWithError(failure, { id: 'req-6' } as FastifyRequest, fakeReply().reply);
      expect(error).toHaveBeenCalledWith({ err: failure, requestId: 'req-6' }, 'Request failed');
    });
  });
});
