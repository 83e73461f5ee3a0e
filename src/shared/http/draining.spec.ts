import Fastify from 'fastify';
import { inject } from 'light-my-request';
import { answerRequestsWhileDraining } from './draining';

describe('answerRequestsWhileDraining', () => {
  it('answers a request reaching the routes once the shutdown has begun with a 503 envelope', async () => {
    const app = Fastify({ return503OnClosing: false });
    answerRequestsWhileDraining(app);
    app.get('/thing', () => ({ ok: true }));
    // The shutdown holds (as while requests in flight finish) until `release`.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.addHook('onClose', () => held);
    let begun: () => void = () => undefined;
    const closing = new Promise<void>((resolve) => (begun = resolve));
    app.addHook('preClose', (done) => {
      begun();
      done();
    });
    await app.ready();
    // Straight to the routes, as a request on a connection still open during the drain gets.
    const route = (url: string) => inject(app.routing.bind(app), { url });
    expect((await route('/thing')).statusCode).toBe(200);

    const closed = app.close();
    await closing;
    const late = await route('/thing');
    release();
    await closed;
    expect(late.statusCode).toBe(503);
    expect(late.headers['retry-after']).toBe('1');
    expect(late.headers.connection).toBe('close');
    expect(late.json()).toMatchObject({
      type: 'error.list',
      request_id: expect.any(String) as unknown,
      errors: [{ code: 'service_unavailable' }],
    });
  });
});
