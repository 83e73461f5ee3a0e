import { PassThrough } from 'node:stream';
import { rebuildProjection } from '../../src/cli/rebuild';
import { ACME_TOKEN, ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app';

/** The rebuild command of the CLI (`npm run cli -- rebuild <name>`), against a running service. */
describe('the rebuild CLI', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp();
    for (let n = 0; n < 50; n += 1) {
      const created = await service.request('/contacts', {
        method: 'POST',
        json: { external_id: `cli-${n}` },
      });
      expect(created.status).toBe(200);
    }
  });
  afterAll(() => service.close());

  const buildOf = async (name: string) => {
    const response = await service.request('/admin/projections', { token: ADMIN_TOKEN });
    const { data } = (await response.json()) as { data: Array<{ name: string; build: string }> };
    return data.find((projection) => projection.name === name)?.build;
  };

  it('rebuilds a projection, drawing its progress, and answers once the new build serves', async () => {
    const before = await buildOf('contacts');
    const output = new PassThrough();
    let drawn = '';
    output.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const serving = await rebuildProjection({
      url: service.baseUrl,
      token: ADMIN_TOKEN,
      name: 'contacts',
      output,
      pollMs: 20,
    });
    expect(serving).not.toBe(before);
    expect(await buildOf('contacts')).toBe(serving);
    expect(drawn).toContain('contacts [');
    expect(drawn).toMatch(/ETA/);
    const listed = await service.request('/contacts?per_page=150');
    expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(50);
  });

  it('says why when the service refuses: an unknown projection, a token that may not operate', async () => {
    const output = new PassThrough();
    await expect(
      rebuildProjection({ url: service.baseUrl, token: ADMIN_TOKEN, name: 'nope', output }),
    ).rejects.toThrow(/No projection nope; the service runs .*contacts/);
    await expect(
      rebuildProjection({ url: service.baseUrl, token: ACME_TOKEN, name: 'contacts', output }),
    ).rejects.toThrow(/refused the status: 403/);
  });
});
