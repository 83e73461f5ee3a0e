import { startTestApp, type TestApp } from '../support/test-app';

describe('OpenAPI at /docs', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
  });
  afterAll(() => service.close());

  it('serves the UI and a document that describes every endpoint, without a token', async () => {
    const ui = await fetch(`${service.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');

    const response = await fetch(`${service.baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toMatch(/^3\./);
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /contacts',
        'GET /contacts',
        'GET /contacts/{id}',
        'PUT /contacts/{id}',
        'DELETE /contacts/{id}',
        'POST /contacts/search',
        'POST /contacts/merge',
        'GET /contacts/find_by_external_id/{external_id}',
        'POST /contacts/{id}/archive',
        'POST /contacts/{id}/unarchive',
        'GET /data_attributes',
        'POST /data_attributes',
        'PUT /data_attributes/{data_attribute_id}',
        'GET /health/live',
        'GET /health/ready',
        'GET /admin/projections',
        'POST /admin/projections/{name}/rebuild',
      ]),
    );
  });
});
