import {
  standInConnectionString,
  startEsdbStandIn,
  type EsdbStandIn,
} from '../support/esdb-stand-in/esdb-stand-in';
import { eventually } from '../support/eventually';
import { describeOnReadStores } from '../support/read-store-targets';
import { freePort } from '../support/service-process';
import { startTestApp, startTestAppOnPostgres, type TestApp } from '../support/test-app';

/** An event store that cannot be reached is an outage the client waits out: 503, never 500. */
describe('writes while the event store is unreachable', () => {
  let service: TestApp;

  beforeAll(async () => {
    // Nothing listens on port 1: every call to EventStoreDB fails to connect.
    service = await startTestApp({ EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:1?tls=false' });
  }, 30_000);
  afterAll(() => service.close());

  it('answer 503 service_unavailable with Retry-After, in the Intercom envelope', async () => {
    const response = await service.request('/contacts', {
      method: 'POST',
      json: { email: 'outage@example.com' },
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await response.json()).toMatchObject({
      type: 'error.list',
      errors: [
        {
          code: 'service_unavailable',
          message: expect.stringContaining('may or may not have been stored') as unknown,
        },
      ],
    });
  }, 30_000);

  it('leave /metrics answering: the process figures, and the store as unreachable', async () => {
    const response = await fetch(`${service.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/^event_log_reachable 0$/m);
    expect(text).not.toContain('projection_state{');
  }, 30_000);
});

/**
 * A first start while EventStoreDB is unreachable: the projections cannot start, so their tables
 * do not exist yet. Reads wait the outage out as writes do (they answered 500: no such table).
 */
describeOnReadStores('reads before the read models could first start', (dialect) => {
  let port: number;
  let standIn: EsdbStandIn | undefined;
  let service: TestApp;

  beforeAll(async () => {
    // The stand-in starts on this port once the outage is over.
    port = await freePort();
    const environment = { EVENTSTORE_CONNECTION_STRING: standInConnectionString(port) };
    service =
      dialect === 'postgres'
        ? await startTestAppOnPostgres(environment)
        : await startTestApp(environment);
  }, 30_000);
  afterAll(async () => {
    await service.close();
    await standIn?.close();
  });

  const contactId = '6571b6ed1c2f1a0001d7e3a1';
  const search = { query: { field: 'role', operator: '=', value: 'user' } };
  const reads: ReadonlyArray<readonly [string, RequestInit & { json?: unknown }]> = [
    ['/contacts', {}],
    [`/contacts/${contactId}`, {}],
    [`/contacts/${contactId}/timeline`, {}],
    [`/contacts/${contactId}/segments`, {}],
    ['/contacts/search', { method: 'POST', json: search }],
    ['/segments', {}],
    ['/visitors?user_id=some-visitor', {}],
    [`/events?type=user&intercom_user_id=${contactId}`, {}],
    ['/data_attributes', {}],
  ];

  it('answer 503 service_unavailable with Retry-After, saying nothing of a write', async () => {
    for (const [path, init] of reads) {
      const response = await service.request(path, init);
      const body = (await response.json()) as { errors?: Array<{ message: string }> };
      expect({ path, status: response.status, body }).toMatchObject({
        path,
        status: 503,
        body: { type: 'error.list', errors: [{ code: 'service_unavailable' }] },
      });
      expect({ path, retryAfter: response.headers.get('retry-after') }).toEqual({
        path,
        retryAfter: expect.stringMatching(/^\d+$/) as unknown,
      });
      expect({ path, message: body.errors?.[0]?.message }).not.toEqual({
        path,
        message: expect.stringMatching(/write/) as unknown,
      });
    }
  }, 60_000);

  it('are answered once the event store is back and the projections have started', async () => {
    standIn = await startEsdbStandIn({ port });
    await eventually(
      async () => ((await service.request('/contacts')).status === 200 ? true : undefined),
      30_000,
      'GET /contacts to answer 200',
    );
  }, 60_000);
});
