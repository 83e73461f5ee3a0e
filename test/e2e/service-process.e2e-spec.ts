import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { spawnService, waitUntilReady } from '../support/service-process';

describe('the service process (embedded default)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'service-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts with no setup, answers ready, generates and prints the default token, and stops cleanly on SIGTERM', async () => {
    const service = await spawnService({ DATA_DIR: dataDir });
    try {
      await waitUntilReady(service);
      const ready = await fetch(`${service.baseUrl}/health/ready`);
      expect(await ready.json()).toEqual({
        status: 'ok',
        checks: { event_store: 'ok', read_store: 'ok', projections: 'ok' },
      });
      expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);

      const token = readFileSync(join(dataDir, 'access-token'), 'utf8').trim();
      expect(service.output()).toContain(token);
      const unauthorized = await fetch(`${service.baseUrl}/admin/projections`);
      expect(unauthorized.status).toBe(401);
      expect(await unauthorized.json()).toMatchObject({
        type: 'error.list',
        errors: [{ code: 'unauthorized' }],
      });
      const authorized = await fetch(`${service.baseUrl}/admin/projections`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(authorized.status).toBe(200);
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited).toBe(0);
    // The store was closed and its lock released: another process can open the directory now.
    const reopened = SqliteEventStore.open({ dataDir });
    await reopened.close();
  });

  it('on SIGTERM answers the requests in flight before it exits', async () => {
    const service = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: 'acme:token-of-acme' });
    await waitUntilReady(service);
    const { hostname, port } = new URL(service.baseUrl);
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // A create whose body has not all arrived when the shutdown begins: in flight.
    const body = JSON.stringify({ email: 'in-flight@example.com' });
    socket.write(
      'POST /contacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer token-of-acme\r\n' +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await delay(200);
    service.child.kill('SIGTERM');
    await delay(200);
    socket.write(body.slice(5));
    await closed;
    const answer = Buffer.concat(received).toString('utf8');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('"email":"in-flight@example.com"');
    expect(await service.exited).toBe(0);
    // Stored, not only answered.
    const store = SqliteEventStore.open({ dataDir });
    const types: string[] = [];
    for await (const event of store.readAll()) types.push(event.type);
    await store.close();
    expect(types).toContain('UserCreated');
  });

  it('stops at start-up with a message naming a bad variable', async () => {
    const service = await spawnService({ DATA_DIR: dataDir, PORT: 'eighty' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('PORT');
    expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(false);
  });

  it('a second service on the same DATA_DIR fails with a clear message', async () => {
    const first = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: 'acme:token-of-acme' });
    try {
      await waitUntilReady(first);
      const second = await spawnService({ DATA_DIR: dataDir, ACCESS_TOKENS: 'acme:token-of-acme' });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain('is in use by another process');
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});
