import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { GLOBEX_TOKEN, startTestApp, type TestApp } from '../support/test-app';

type Contact = Record<string, unknown> & { id: string };

/**
 * `GET /contacts/{id}` is served by Fastify directly (`serveDirectly`), without Nest's guard,
 * pipes and filters. Every answer must be the one Nest's pipeline gives: the app here can send
 * each request down either path, and every status, header and body must match.
 */
describe('GET /contacts/{id} served directly answers what Nest would', () => {
  let service: TestApp;
  let throughNest = false;

  beforeAll(async () => {
    let nestHandler: RouteHandlerMethod | undefined;
    const isRetrieve = (options: { method: unknown; url: string }) =>
      options.method === 'GET' && options.url === '/contacts/:id';
    service = await startTestApp(
      { READ_YOUR_WRITES_TIMEOUT_MS: '200' },
      {
        // Runs before the direct takeover: keeps the handler Nest registered.
        beforeApplication: (fastify: FastifyInstance) =>
          fastify.addHook('onRoute', (options) => {
            if (isRetrieve(options)) nestHandler = options.handler;
          }),
        // Runs after it: lets each request pick its path.
        beforeRoutes: (fastify: FastifyInstance) =>
          fastify.addHook('onRoute', (options) => {
            if (!isRetrieve(options)) return;
            const direct = options.handler;
            expect(direct).not.toBe(nestHandler);
            options.handler = function (request, reply) {
              return (throughNest ? nestHandler! : direct).call(this, request, reply);
            };
          }),
      },
    );
  });
  afterAll(() => service.close());

  const call = async (path: string, init: Parameters<TestApp['request']>[1] = {}) => {
    const response = await service.request(path, init);
    return { status: response.status, body: (await response.json()) as Contact };
  };

  /** The answer without what differs per request (its id, its date). */
  async function answer(path: string, init: Parameters<TestApp['request']>[1]) {
    const response = await service.request(path, init);
    const headers = Object.fromEntries(
      [...response.headers].filter(([name]) => name !== 'date' && name !== 'content-length'),
    );
    const body = (await response.json()) as Record<string, unknown>;
    if (body.type === 'error.list') {
      expect(body.request_id).toEqual(expect.any(String));
      delete body.request_id;
    }
    return { status: response.status, headers, body };
  }

  async function expectSameAnswers(path: string, init: Parameters<TestApp['request']>[1] = {}) {
    throughNest = false;
    const direct = await answer(path, init);
    throughNest = true;
    const nest = await answer(path, init);
    throughNest = false;
    expect(direct).toEqual(nest);
    return direct;
  }

  it('answers contacts, refusals and merged ids as the Nest pipeline does', async () => {
    const user = await call('/contacts', {
      method: 'POST',
      json: {
        role: 'user',
        email: `direct-${Date.now()}@example.com`,
        external_id: `direct-${Date.now()}`,
        name: 'Direct "Route" \\ Ünïcode \n',
        owner_id: 7,
        custom_attributes: {},
      },
    });
    expect(user.status).toBe(200);
    const lead = await call('/contacts', { method: 'POST', json: { role: 'lead', name: 'Lead' } });
    const merged = await call('/contacts/merge', {
      method: 'POST',
      json: { from: lead.body.id, into: user.body.id },
    });
    expect(merged.status).toBe(200);
    const archived = await call('/contacts', { method: 'POST', json: { role: 'lead' } });
    await call(`/contacts/${archived.body.id}/archive`, { method: 'POST' });

    const statuses: number[] = [];
    for (const version of [undefined, '2.14', '2.15', '2.16', ' 2.16 ', 'x']) {
      const headers: Record<string, string> =
        version === undefined ? {} : { 'intercom-version': version };
      for (const path of [
        `/contacts/${user.body.id}`,
        `/contacts/${user.body.id}?include_merge_history=true`,
        `/contacts/${user.body.id}?include_merge_history=false`,
        `/contacts/${user.body.id}?include_merge_history=1`,
        `/contacts/${lead.body.id}`,
        `/contacts/${archived.body.id}`,
        '/contacts/no-such-contact',
        '/contacts/%20',
      ]) {
        statuses.push((await expectSameAnswers(path, { headers })).status);
        statuses.push((await expectSameAnswers(path, { headers, token: GLOBEX_TOKEN })).status);
      }
    }
    // 400 only for the version Intercom does not have ('x'): intercom_version_invalid.
    expect(new Set(statuses)).toEqual(new Set([200, 400, 404, 410]));
    expect(statuses.slice(-16)).toEqual(Array(16).fill(400));

    for (const authorization of ['', 'Bearer', 'Bearer wrong-token', 'Basic abc', 'bearer  x']) {
      const refused = await expectSameAnswers(`/contacts/${user.body.id}`, {
        headers: { authorization },
      });
      expect(refused.status).toBe(401);
    }

    for (const minPosition of ['0', '1', 'abc', '-1']) {
      await expectSameAnswers(`/contacts/${user.body.id}`, {
        headers: { 'x-min-position': minPosition },
      });
    }
    // Beyond the end of the log: refused at once, by both.
    const unreached = await expectSameAnswers(`/contacts/${user.body.id}`, {
      headers: { 'x-min-position': '99999999999999' },
    });
    expect(unreached.status).toBe(400);
  });

  it('answers an empty id as no route, as Nest does for every route with a parameter', async () => {
    for (const path of ['/contacts/', '/contacts/?per_page=1', '/contacts/?as_of=1']) {
      for (const init of [{}, { headers: { authorization: '' } }]) {
        expect(await expectSameAnswers(path, init)).toMatchObject({
          status: 404,
          body: { errors: [{ code: 'not_found', message: `Cannot GET ${path}` }] },
        });
      }
    }
  });
});
