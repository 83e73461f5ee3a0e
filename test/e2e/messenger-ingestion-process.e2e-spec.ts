import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionIdOf } from '../../src/messenger/ingestion-records';
import { eventually } from '../support/eventually';
import { spawnService, waitUntilReady, type ServiceProcess } from '../support/service-process';

const TOKEN = 'token-of-acme-0001';

interface Result {
  id: string;
  status: 'accepted' | 'duplicate' | 'rejected';
  contact_id?: string;
}

/**
 * The service as a child process on one DATA_DIR: idempotency keys survive a restart, and a
 * SIGKILL in the middle of ingestion loses nothing that was answered `accepted`.
 */
describe('messenger ingestion across restarts and crashes', () => {
  let dataDir: string;
  const running: ServiceProcess[] = [];
  const now = Math.floor(Date.now() / 1000);

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ingest-process-'));
  });
  afterEach(() => {
    for (const service of running.splice(0))
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<ServiceProcess> {
    const service = await spawnService({
      DATA_DIR: dataDir,
      ACCESS_TOKENS: `acme:${TOKEN}`,
      LOG_LEVEL: 'warn',
    });
    running.push(service);
    await waitUntilReady(service);
    return service;
  }

  async function stop(service: ServiceProcess): Promise<void> {
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  }

  async function ingest(service: ServiceProcess, events: unknown[]): Promise<Result[]> {
    const response = await fetch(`${service.baseUrl}/messenger/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { results: Result[] }).results;
  }

  /** Reads the stopped service's event file directly. */
  function storedEventIds(): Set<string> {
    const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
    try {
      return new Set(
        (db.prepare('SELECT id FROM events').all() as Array<{ id: string }>).map((row) => row.id),
      );
    } finally {
      db.close();
    }
  }

  it('a key sent again after a restart is a duplicate and the store does not change', async () => {
    const batch = [
      { id: 'restart-1', type: 'visitor.seen', occurred_at: now - 60, visitor_id: 'restart-v1' },
      {
        id: 'restart-2',
        type: 'conversation.started',
        occurred_at: now - 50,
        visitor_id: 'restart-v1',
      },
      {
        id: 'restart-3',
        type: 'event.tracked',
        occurred_at: now - 40,
        visitor_id: 'restart-v2',
        event_name: 'e',
      },
      {
        id: 'restart-4',
        type: 'event.tracked',
        occurred_at: now - 40,
        visitor_id: 'restart-v2',
        event_name: 'e',
      },
      {
        id: 'restart-5',
        type: 'contact.signed_up',
        occurred_at: now - 30,
        visitor_id: 'restart-v2',
        external_id: 'restart-user',
      },
      {
        id: 'restart-6',
        type: 'contact.logged_in',
        occurred_at: now - 20,
        visitor_id: 'restart-v1',
        external_id: 'restart-user',
      },
    ];
    const first = await start();
    const accepted = await ingest(first, batch);
    expect(accepted.map((result) => result.status)).toEqual(Array(6).fill('accepted'));
    const duplicates = await ingest(first, batch);
    expect(duplicates.map((result) => result.status)).toEqual(Array(6).fill('duplicate'));
    // A duplicate names the contact the item's contact lives on as now (visitor 1 was merged).
    expect(duplicates.map((result) => result.contact_id)).toEqual(
      Array(6).fill(accepted[5]!.contact_id),
    );
    await stop(first);
    const stored = storedEventIds();

    const second = await start();
    const again = await ingest(second, batch);
    expect(again.map((result) => result.status)).toEqual(Array(6).fill('duplicate'));
    expect(again.map((result) => result.contact_id)).toEqual(
      duplicates.map((result) => result.contact_id),
    );
    await stop(second);
    expect(storedEventIds()).toEqual(stored);
  }, 90_000);

  it('after a SIGKILL during ingestion, every accepted item is stored and visible, and re-sending yields duplicates for them', async () => {
    const batches = Array.from({ length: 12 }, (_, batch) =>
      Array.from({ length: 100 }, (_, index) => ({
        id: `crash-${batch}-${index}`,
        type: 'visitor.seen',
        occurred_at: now - 60,
        visitor_id: `crash-visitor-${batch}-${index}`,
        context: { browser: 'firefox' },
      })),
    );
    const service = await start();
    const answered: Result[] = [];
    let responses = 0;
    let next = 0;
    const killed = new Promise<void>((resolve) => {
      const sender = async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          try {
            answered.push(...(await ingest(service, batch)));
            responses += 1;
            // Kill while the other sender's batch is in flight.
            if (responses === 3) {
              service.child.kill('SIGKILL');
              resolve();
            }
          } catch {
            resolve();
            return;
          }
        }
        resolve();
      };
      void sender();
      void sender();
    });
    await killed;
    expect(await service.exited).toBe('SIGKILL');
    const accepted = answered.filter((result) => result.status === 'accepted');
    expect(accepted.length).toBeGreaterThanOrEqual(300);

    const restarted = await start();
    for (const result of accepted) {
      const visitorId = `crash-visitor-${result.id.slice('crash-'.length)}`;
      const visitor = await eventually(
        async () => {
          const response = await fetch(`${restarted.baseUrl}/visitors?user_id=${visitorId}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          return response.status === 200 ? ((await response.json()) as { id: string }) : undefined;
        },
        15_000,
        `visitor ${visitorId} in the read model`,
      );
      expect(visitor.id).toBe(result.contact_id);
    }
    const acceptedIds = new Set(accepted.map((result) => result.id));
    for (const batch of batches) {
      const resent = await ingest(restarted, batch);
      for (const result of resent) {
        if (acceptedIds.has(result.id)) expect(result).toMatchObject({ status: 'duplicate' });
        else expect(result.status).toMatch(/^(accepted|duplicate)$/);
      }
    }
    await stop(restarted);
    const stored = storedEventIds();
    for (const result of accepted) expect(stored.has(completionIdOf('acme', result.id))).toBe(true);
  }, 120_000);
});
