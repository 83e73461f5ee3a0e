import { startTestApp, type TestApp } from '../support/test-app';

type Contact = Record<string, unknown> & { id: string };

/**
 * A write answers the contact from the state it left (not from a read of the projection): the
 * answer must be exactly what an immediate GET, in either API version, and a search return.
 */
describe('Contact write responses are what an immediate read shows', () => {
  let service: TestApp;

  beforeAll(async () => {
    service = await startTestApp();
    const defined = await service.request('/data_attributes', {
      method: 'POST',
      json: { name: 'plan', model: 'contact', data_type: 'string' },
    });
    expect(defined.status).toBe(200);
  });
  afterAll(() => service.close());

  const call = async (path: string, init: Parameters<TestApp['request']>[1] = {}) => {
    const response = await service.request(path, init);
    return { status: response.status, body: (await response.json()) as Contact };
  };

  const readBack = async (id: string, version?: string) =>
    call(`/contacts/${id}`, version ? { headers: { 'intercom-version': version } } : {});

  it.each([undefined, '2.16'])(
    'create and update answer the contact as GET and search show it (version %s)',
    async (version) => {
      const headers: Record<string, string> = version ? { 'intercom-version': version } : {};
      const suffix = `${version ?? 'default'}-${Date.now()}`;
      const created = await call('/contacts', {
        method: 'POST',
        headers,
        json: {
          role: 'user',
          email: `Write.Response-${suffix}@Example.COM`,
          external_id: `write-response-${suffix}`,
          name: 'Write Response',
          phone: '+1 555 0199',
          avatar: 'https://example.com/a.png',
          owner_id: 42,
          signed_up_at: 1_700_000_000,
          last_seen_at: 1_700_000_100,
          unsubscribed_from_emails: true,
          language_override: 'fr',
          custom_attributes: { plan: 'gold' },
        },
      });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        email_domain: 'example.com',
        owner_id: version ? '42' : 42,
      });
      expect((await readBack(created.body.id, version)).body).toEqual(created.body);

      const search = await call('/contacts/search', {
        method: 'POST',
        headers,
        json: { query: { field: 'external_id', operator: '=', value: `write-response-${suffix}` } },
      });
      expect((search.body as unknown as { data: Contact[] }).data).toEqual([created.body]);

      const updated = await call(`/contacts/${created.body.id}`, {
        method: 'PUT',
        headers,
        json: { name: 'Updated', email: null, custom_attributes: { plan: null } },
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ name: 'Updated', email: null, custom_attributes: {} });
      expect((await readBack(created.body.id, version)).body).toEqual(updated.body);

      const lead = await call('/contacts', { method: 'POST', headers, json: { role: 'lead' } });
      expect(lead.status).toBe(200);
      expect(lead.body.role).toBe('lead');
      expect((await readBack(lead.body.id, version)).body).toEqual(lead.body);
    },
  );

  it('writes answer with X-Position, which a read can wait for with X-Min-Position', async () => {
    const created = await service.request('/contacts', { method: 'POST', json: { role: 'lead' } });
    const createdAt = created.headers.get('x-position');
    expect(createdAt).toMatch(/^\d+$/);
    const { id } = (await created.json()) as Contact;
    const updated = await service.request(`/contacts/${id}`, {
      method: 'PUT',
      json: { name: 'Positioned' },
    });
    const updatedAt = updated.headers.get('x-position');
    expect(BigInt(updatedAt!)).toBeGreaterThan(BigInt(createdAt!));
    const read = await service.request(`/contacts/${id}`, {
      headers: { 'x-min-position': updatedAt! },
    });
    expect(await read.json()).toMatchObject({ name: 'Positioned' });
    // Reads report no position.
    expect(read.headers.get('x-position')).toBeNull();
    const search = await service.request('/contacts/search', {
      method: 'POST',
      json: { query: { field: 'name', operator: '=', value: 'Positioned' } },
    });
    expect(search.headers.get('x-position')).toBeNull();
  });

  it('concurrent updates of one contact all apply, each answering with its own change', async () => {
    const created = await call('/contacts', { method: 'POST', json: { role: 'lead' } });
    expect(created.status).toBe(200);
    const names = Array.from({ length: 20 }, (_, index) => `Concurrent ${index}`);
    const updates = await Promise.all(
      names.map((name) => call(`/contacts/${created.body.id}`, { method: 'PUT', json: { name } })),
    );
    expect(updates.map((update) => update.status)).toEqual(names.map(() => 200));
    const final = await readBack(created.body.id);
    expect(names).toContain(final.body.name);
    expect(updates.map((update) => update.body.name).sort()).toEqual([...names].sort());
  });

  it('an unchanged update answers the contact as it stands', async () => {
    const created = await call('/contacts', {
      method: 'POST',
      json: { role: 'lead', name: 'Same' },
    });
    expect(created.status).toBe(200);
    const unchanged = await call(`/contacts/${created.body.id}`, {
      method: 'PUT',
      json: { name: 'Same' },
    });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toEqual(created.body);
  });

  it('a taken email or external_id is still refused, naming the holder', async () => {
    const email = `taken-${Date.now()}@example.com`;
    const holder = await call('/contacts', { method: 'POST', json: { email } });
    expect(holder.status).toBe(200);
    const second = await service.request('/contacts', { method: 'POST', json: { email } });
    expect(second.status).toBe(409);
    expect(JSON.stringify(await second.json())).toContain(holder.body.id);
  });
});
