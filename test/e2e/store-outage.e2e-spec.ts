import { startTestApp, type TestApp } from '../support/test-app';

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
      errors: [{ code: 'service_unavailable' }],
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
