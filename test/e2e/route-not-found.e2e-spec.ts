import { IntercomClient, IntercomError } from 'intercom-client';
import { ACME_TOKEN, startTestApp, type TestApp } from '../support/test-app';

/**
 * A path no route serves answers Intercom's 404 envelope naming the request, whatever route it
 * resembles: a trailing slash is part of the path (`/contacts/` is not `/contacts`), and no route
 * takes an empty parameter (the SDK sends `find({ contact_id: '' })` as `GET /contacts/`, which
 * must not answer another resource, nor the contact with id '').
 */
describe('Paths no route serves', () => {
  let service: TestApp;
  let client: IntercomClient;

  beforeAll(async () => {
    service = await startTestApp();
    client = new IntercomClient({ token: ACME_TOKEN, baseUrl: service.baseUrl });
  });
  afterAll(() => service.close());

  it.each([
    ['GET', '/contacts/'],
    ['GET', '/contacts/?per_page=1'],
    ['POST', '/contacts/'],
    ['PUT', '/contacts/'],
    ['DELETE', '/contacts/'],
    ['GET', '/contacts//timeline'],
    ['GET', '/contacts//tags'],
    ['POST', '/contacts//archive'],
    ['GET', '/contacts/find_by_external_id/'],
    ['GET', '/segments/'],
    ['GET', '/segments//contacts'],
    ['GET', '/data_attributes/'],
    ['PUT', '/data_attributes/'],
    ['GET', '/events/?type=user&user_id=u-1'],
    ['GET', '/visitors/?user_id=v-1'],
  ])('answers %s %s 404 in the error envelope, naming the route', async (method, path) => {
    const response = await service.request(path, {
      method,
      ...(method === 'GET' || method === 'DELETE' ? {} : { json: {} }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      type: 'error.list',
      request_id: expect.any(String),
      errors: [{ code: 'not_found', message: `Cannot ${method} ${path}` }],
    });
  });

  it('answers the SDK asking for an empty id 404, not another resource', async () => {
    await client.contacts.create({ external_id: 'route-not-found-1' });
    for (const call of [
      () => client.contacts.find({ contact_id: '' }),
      () => client.contacts.delete({ contact_id: '' }),
      () => client.segments.find({ segment_id: '' }),
    ]) {
      const failure = await call().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(IntercomError);
      expect((failure as IntercomError).statusCode).toBe(404);
    }
  });
});
